// Admission control: may this app be installed on this host next to the apps already there?
// Pure: the caller reads the capacity and the installed apps; this only decides and explains.

import { ArchyError, RpcErrorCode, type HostCapacity } from '../kernel/index.js';
import type { ResourceSpec } from '../manifest/types.js';
import { DISK_RESERVE_ENV, MEMORY_SHARE_ENV, memoryBudgetBytes, type ResourceBudget } from './budget.js';
import { formatByteSize as size } from './byte-size.js';
import { enforcementGap } from './enforcement.js';

export interface AppResources {
  id: string;
  resources: ResourceSpec;
}

export interface AdmissionRequest {
  manifest: AppResources;
  /** Apps installed now. An entry with the new app's own id (an update) is left out of the sum. */
  installed: readonly AppResources[];
  capacity: HostCapacity;
  budget: ResourceBudget;
}

export type AdmissionDecision = { ok: true; warnings: string[] } | { ok: false; reason: string };

/**
 * The memory an app claims from the budget: its reservation — what it needs to run well — or,
 * without one, its limit, the most it may take. An app declaring neither claims nothing.
 */
export function memoryClaim(resources: ResourceSpec): number {
  return resources.memoryReservation ?? resources.memory ?? 0;
}

/** Sum of the memory claims of `apps`. */
export const totalMemoryClaim = (apps: readonly AppResources[]): number =>
  apps.reduce((sum, app) => sum + memoryClaim(app.resources), 0);

export function admitInstall({ manifest, installed, capacity, budget }: AdmissionRequest): AdmissionDecision {
  const { id, resources } = manifest;
  const others = installed.filter((app) => app.id !== id);

  const claim = memoryClaim(resources);
  const claimed = totalMemoryClaim(others);
  const memoryBudget = memoryBudgetBytes(budget, capacity.memoryBytes);
  if (claim > 0 && claimed + claim > memoryBudget) {
    const share = `${Math.round(budget.memoryShare * 100)}% of ${size(capacity.memoryBytes)}`;
    return {
      ok: false,
      reason:
        `not enough memory for ${id}: it reserves ${size(claim)}, installed apps reserve ${size(claimed)}, ` +
        `and the budget is ${size(memoryBudget)} (${share}); ` +
        `free memory by removing an app or raise the budget with ${MEMORY_SHARE_ENV}`,
    };
  }

  const minDisk = resources.minDisk ?? 0;
  const usableDisk = Math.max(0, capacity.disk.freeBytes - budget.diskReserveBytes);
  if (minDisk > usableDisk) {
    return {
      ok: false,
      reason:
        `not enough disk for ${id}: it needs ${size(minDisk)} free, ${capacity.disk.path} has ` +
        `${size(capacity.disk.freeBytes)} free, and ${size(budget.diskReserveBytes)} of that is kept in reserve; ` +
        `free disk space, put the data dir on a larger disk, or lower the reserve with ${DISK_RESERVE_ENV}`,
    };
  }

  return { ok: true, warnings: admissionWarnings(manifest, capacity) };
}

/** Things the user should know that do not stop the install. */
function admissionWarnings({ id, resources }: AppResources, capacity: HostCapacity): string[] {
  const warnings: string[] = [];
  const { enforcement } = capacity;
  const unenforced = [
    resources.memory !== undefined || resources.memoryReservation !== undefined
      ? ['memory', enforcement.memory]
      : undefined,
    resources.cpus !== undefined ? ['cpu', enforcement.cpu] : undefined,
    resources.pids !== undefined ? ['pids', enforcement.pids] : undefined,
  ]
    .filter((entry): entry is [string, boolean] => entry !== undefined && !entry[1])
    .map(([kind]) => kind);
  if (unenforced.length > 0) {
    const gap = enforcementGap(enforcement.cgroupVersion, unenforced);
    warnings.push(
      `${gap.cause}: the ${listWords(unenforced)} limits of ${id} are recorded but not enforced; ${gap.remedy}`,
    );
  }
  if (memoryClaim(resources) === 0) {
    warnings.push(
      `${id} declares no memory limit or reservation: it is not counted against the memory budget and may use all of the host's memory`,
    );
  }
  if (resources.memory !== undefined && resources.memory > capacity.memoryBytes) {
    warnings.push(
      `${id}'s memory limit (${size(resources.memory)}) is more than the host's RAM (${size(capacity.memoryBytes)}); it will swap or be killed before reaching it`,
    );
  }
  if (resources.cpus !== undefined && resources.cpus > capacity.cpus) {
    warnings.push(
      `${id} asks for ${resources.cpus} CPUs and the host has ${capacity.cpus}; it gets at most ${capacity.cpus}`,
    );
  }
  return warnings;
}

const listWords = (words: readonly string[]): string =>
  words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;

/**
 * For the orchestrator's install: the warnings when admitted, or an ArchyError
 * (InsufficientResources) with the refusal's numbers.
 */
export function assertAdmitted(decision: AdmissionDecision): string[] {
  if (decision.ok) return decision.warnings;
  throw new ArchyError(RpcErrorCode.InsufficientResources, decision.reason);
}
