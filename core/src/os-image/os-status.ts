import type { OsBootRecord, OsDownload, OsSsh, OsStatus, OsUpdateState } from '../kernel/index.js';
import { otherSlot, slotFromCmdline } from './kernel-cmdline.js';
import type { OsImagePaths } from './paths.js';
import { readSshState } from './ssh-state.js';
import { readBootRecord, readOptionalText, readUpdateState } from './state-files.js';

/** What the status is made of, read from the files (readOsStatus) or given by a test. */
export interface OsStatusInputs {
  version: string | undefined;
  cmdline: string | undefined;
  /** When this boot started (ms since the epoch). */
  bootTimeMs: number;
  bootId: string | undefined;
  updateState: OsUpdateState | undefined;
  bootState: OsBootRecord | undefined;
  bootFailed: OsBootRecord | undefined;
  download: OsDownload | undefined;
  ssh: OsSsh;
}

/**
 * The OS's status from its parts (pure). An update "applied" to the other slot before this boot
 * started, while this boot still runs the old slot, means the loader fell back: the new slot's
 * counted boots did not reach boot-complete.target (the boot check's failure record says why, when
 * it got that far). Applied after this boot started: it waits for a restart.
 */
export function composeOsStatus(inputs: OsStatusInputs): OsStatus {
  const slot = inputs.cmdline === undefined ? undefined : slotFromCmdline(inputs.cmdline);
  if (inputs.version === undefined || slot === undefined) {
    return {
      supported: false,
      reason:
        inputs.version === undefined
          ? 'this system is not Archipelago OS (no /usr/lib/archipelago-os/version); update it with its own package manager'
          : 'this system was not booted from an Archipelago OS slot (no archy.slot= on the kernel command line)',
    };
  }
  const other = otherSlot(slot);
  const update = inputs.updateState;
  const appliedToOther = update?.state === 'applied' && update.slot === other;
  const appliedBeforeBoot = update !== undefined && Date.parse(update.at) < inputs.bootTimeMs;
  const otherVersion = appliedToOther ? update.version : undefined;
  const status: OsStatus = {
    supported: true,
    version: inputs.version,
    slot,
    otherSlot: { slot: other, ...(otherVersion !== undefined && { version: otherVersion }) },
    rebootPending: appliedToOther && !appliedBeforeBoot,
    ssh: inputs.ssh,
    ...(inputs.download && { download: inputs.download }),
    ...(update && { lastUpdate: update }),
    ...(inputs.bootState && {
      lastBoot: {
        ...inputs.bootState,
        thisBoot: inputs.bootId !== undefined && inputs.bootState.bootId === inputs.bootId,
      },
    }),
  };
  if (appliedToOther && appliedBeforeBoot) {
    const failed = inputs.bootFailed;
    const failure =
      failed &&
      failed.slot === other &&
      failed.version === update.version &&
      Date.parse(failed.at) >= Date.parse(update.at)
        ? failed
        : undefined;
    status.fellBack = {
      from: { slot: other, version: update.version },
      to: { slot, version: inputs.version },
      reason: failure?.reason
        ? `${update.version} did not come up: ${failure.reason}`
        : `${update.version} did not come up (it never reached the boot check: the kernel or its root did not start)`,
    };
  }
  return status;
}

/** Reads the status from the files in `paths`; `download` is the daemon's own (OsImageControl). */
export async function readOsStatus(
  paths: OsImagePaths,
  download?: OsDownload,
  now: number = Date.now(),
): Promise<OsStatus> {
  const [version, cmdline, bootId, uptime, updateState, bootState, bootFailed, ssh] = await Promise.all([
    readOptionalText(paths.versionFile),
    readOptionalText(paths.cmdline),
    readOptionalText(paths.bootId),
    readOptionalText(paths.uptime),
    readUpdateState(paths.updateState),
    readBootRecord(paths.bootState),
    readBootRecord(paths.bootFailed),
    readSshState(paths.sshDir),
  ]);
  const uptimeSeconds = Number(uptime?.trim().split(/\s+/)[0]);
  return composeOsStatus({
    version: version?.trim() || undefined,
    cmdline,
    bootTimeMs: Number.isFinite(uptimeSeconds) ? now - uptimeSeconds * 1000 : 0,
    bootId: bootId?.trim(),
    updateState,
    bootState,
    bootFailed,
    download,
    ssh,
  });
}
