/** Aggregate progress of one image pull, as the UI shows it. */
export interface PullProgressUpdate {
  completedBytes: number;
  /** Sum of the sizes Podman has reported so far; blobs that finish too fast to report count 0. */
  totalBytes: number;
  /** Blobs (layers and the config) finished or already present. */
  layersDone: number;
  layersTotal: number;
  /** True when the numbers are byte-level; false for the coarse blob-count fallback. */
  byteLevel: boolean;
}

/** One line of the docker-compatible pull stream (`POST /images/create`). */
export interface CompatPullLine {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

interface BlobState {
  current: number;
  total: number;
  done: boolean;
}

/**
 * Folds the per-blob lines of a compat pull into one running total. Podman reports bytes only
 * every second ("Downloading" with progressDetail), so a blob fetched faster than that goes
 * straight from "Pulling fs layer" to "Download complete" with no size; it still counts as a
 * finished blob.
 */
export class PullProgressTracker {
  private readonly blobs = new Map<string, BlobState>();

  /** Applies one line; true when the aggregate changed. */
  apply(line: CompatPullLine): boolean {
    const id = line.id;
    if (!id || !line.status) return false;
    const blob = this.blobs.get(id) ?? { current: 0, total: 0, done: false };
    this.blobs.set(id, blob);
    switch (line.status) {
      case 'Pulling fs layer':
      case 'Waiting':
        return true;
      case 'Downloading': {
        const { current, total } = line.progressDetail ?? {};
        if (typeof total === 'number' && total > 0) blob.total = total;
        if (typeof current === 'number') blob.current = Math.max(blob.current, current);
        return true;
      }
      case 'Already exists':
      case 'Download complete':
      case 'Pull complete': {
        const changed = !blob.done;
        blob.done = true;
        blob.current = blob.total;
        return changed;
      }
      default:
        return false;
    }
  }

  snapshot(): PullProgressUpdate {
    let completedBytes = 0;
    let totalBytes = 0;
    let layersDone = 0;
    for (const blob of this.blobs.values()) {
      completedBytes += blob.current;
      totalBytes += blob.total;
      if (blob.done) layersDone += 1;
    }
    return { completedBytes, totalBytes, layersDone, layersTotal: this.blobs.size, byteLevel: true };
  }
}
