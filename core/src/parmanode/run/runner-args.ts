// The `podman run` command line of a Parmanode script run: pure, so its every confinement is a
// unit-tested line. What the container gets is the script (read-only), the data dir at /data
// (or an empty tmpfs there) and a tmpfs /tmp; nothing else of the host. It runs as the invoking
// user's own uid (keep-id: never root in the container, and files it writes to /data belong to
// that user on the host), with no capabilities, no privilege gain (setuid is inert), a read-only
// root, its own PID/IPC/UTS namespaces (Podman's defaults) and no network unless asked.

import { basename } from 'node:path';

/**
 * The image scripts run in when the user names none: the official Docker Library `bash` image,
 * bash 5.3.20 on Alpine 3.24, pinned by its multi-platform index digest. Fact from
 * docker-library/repo-info `repos/bash/remote/5.3.20.md` ("docker pull bash@sha256:d0c3…080b";
 * linux amd64, arm v6/v7, arm64 v8, 386), read 2026-12-06. Its ENTRYPOINT (docker-entrypoint.sh)
 * is replaced: we start bash ourselves.
 */
export const DEFAULT_RUNNER_IMAGE =
  'docker.io/library/bash:5.3.20@sha256:d0c3166d3b69a70c71a8c85a69a32d14395dab59fef1f63ee583aa91a935080b';

export const PURPOSE_LABEL = 'io.archipelago.purpose';
export const PARMANODE_RUN_PURPOSE = 'parmanode-run';
/** The data dir the run was given (absent: none), so a leftover can be told apart and cleaned. */
export const PARMANODE_DATA_LABEL = 'io.archipelago.parmanode-data';
/** Where the script is mounted in the container (read-only). */
export const SCRIPT_DIR = '/parmanode';

export interface RunnerArgsInput {
  containerName: string;
  /** Absolute host path of the script. */
  script: string;
  scriptArgs: readonly string[];
  /** Absolute host path of the data dir, or undefined for an empty, throwaway /data. */
  dataDir: string | undefined;
  network: boolean;
  image: string;
  /** Extra labels (tests mark their runs). */
  labels?: Record<string, string>;
}

export function runnerPodmanArgs(input: RunnerArgsInput): string[] {
  const scriptInContainer = `${SCRIPT_DIR}/${basename(input.script)}`;
  const labels = {
    ...input.labels,
    [PURPOSE_LABEL]: PARMANODE_RUN_PURPOSE,
    ...(input.dataDir ? { [PARMANODE_DATA_LABEL]: input.dataDir } : {}),
  };
  return [
    'run',
    '--rm',
    // Answers come on stdin; no TTY: the script runs non-interactively.
    '--interactive',
    '--name',
    input.containerName,
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    // `missing`: a pinned default is pulled once, then run from the local store.
    '--pull',
    'missing',
    '--userns',
    'keep-id',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--read-only',
    '--read-only-tmpfs=false',
    // An image's VOLUME paths get a tmpfs, not a volume on the host that outlives the run.
    '--image-volume',
    'tmpfs',
    '--tmpfs',
    '/tmp:rw,nosuid,nodev,size=256m',
    // A network of its own (slirp4netns) that cannot reach the host's loopback services.
    '--network',
    input.network ? 'slirp4netns:allow_host_loopback=false' : 'none',
    '--hostname',
    'parmanode-run',
    ...(input.dataDir
      ? ['--volume', `${input.dataDir}:/data:rw`]
      : ['--tmpfs', '/data:rw,nosuid,nodev,size=256m']),
    '--volume',
    `${input.script}:${scriptInContainer}:ro`,
    // Parmanode scripts keep everything under $HOME (~/.bitcoin, ~/.parmanode): here that is /data.
    '--env',
    'HOME=/data',
    '--workdir',
    '/data',
    '--entrypoint',
    'bash',
    input.image,
    scriptInContainer,
    ...input.scriptArgs,
  ];
}

/** `30s`, `5m`, `1h`, `500ms` or a number of seconds → milliseconds; undefined when unreadable. */
export function parseRunTimeout(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's']!;
  const ms = Math.round(Number(match[1]) * factor);
  return ms > 0 ? ms : undefined;
}

/** What a list of answers looks like on the script's stdin: one per line, then end of input. */
export const answersInput = (answers: readonly string[]): string =>
  answers.length === 0 ? '' : `${answers.join('\n')}\n`;
