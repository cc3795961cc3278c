// An installed Bitcoin node's datadir, as the orchestrator and the version switch both need it:
// where it is on the host, what its evidence says, whether a version may start on it (the version
// guard every start goes through), and the marker that records a run.
//
// The guard is one decision for every path that starts bitcoind on existing data — install onto
// kept data, start, restart, the supervisor's restart, the reconcile at boot, a version change —
// so no path can start an older version on a newer datadir without the same confirmations and
// the same one-time flags (see bitcoin/plan-version-change.ts).

import { RpcErrorCode } from '../kernel/index.js';
import {
  bannerOfRun,
  planStartOnDatadir,
  type DatadirFacts,
  type InspectOptions,
  type StartPlan,
} from '../bitcoin/index.js';
import type { AppManifest } from '../manifest/index.js';
import { ArchyError } from '../kernel/index.js';
import type { DatadirAccess } from './datadir-access.js';
import type { StartConfirmation } from './lifecycle.js';

export type { StartConfirmation };

export interface GuardedStart {
  /** The one-time bitcoind arguments the start needs (a confirmed downgrade's reindex), else []. */
  startArgs: string[];
  /** What the start means, for the app's message, when it is more than a plain start. */
  warning?: string;
  facts: DatadirFacts;
}

export class BitcoinDatadirs {
  constructor(
    private readonly options: {
      access: DatadirAccess;
      /** The host folder of an app's volume. */
      volumeDir: (owner: string, volume: string) => string;
    },
  ) {}

  /** The host folder holding the Bitcoin datadir: the volume mounted at `bitcoin.datadir`. */
  pathOf(manifest: AppManifest, owner: string): string {
    const mount = manifest.bitcoin?.datadir ?? '/data';
    const volume = manifest.volumes.find((v) => v.mount === mount);
    if (!volume) {
      throw new ArchyError(
        RpcErrorCode.InvalidManifest,
        `${manifest.id}: bitcoin.datadir ${mount} is not one of its volumes; mount a volume there`,
      );
    }
    return this.options.volumeDir(owner, volume.name);
  }

  /** What the datadir says about who wrote it, with the arguments this manifest passes bitcoind. */
  inspect(manifest: AppManifest, owner: string): Promise<DatadirFacts> {
    return this.inspectAt(manifest, this.pathOf(manifest, owner));
  }

  /** The same for a datadir not bound to an app yet (data about to be adopted in place). */
  inspectAt(manifest: AppManifest, datadir: string): Promise<DatadirFacts> {
    return this.options.access.inspect(datadir, inspectOptions(manifest));
  }

  /**
   * The guard: may `version` start on this app's datadir? Throws the refusal (Conflict) — with
   * `howToConfirm` saying how to give the confirmation on this path — or returns the start's
   * one-time arguments. `recorded` is the version our record says ran here; leave it out for data
   * we did not run (kept from a removed app, imported), where only the datadir's evidence counts.
   */
  async guardStart(input: {
    manifest: AppManifest;
    owner: string;
    version: string;
    recorded?: string;
    /** The datadir's evidence, when the caller read it already. */
    facts?: DatadirFacts;
    confirm?: StartConfirmation;
    howToConfirm: string;
  }): Promise<GuardedStart> {
    const bitcoin = input.manifest.bitcoin!;
    const facts = input.facts ?? (await this.inspect(input.manifest, input.owner));
    const plan: StartPlan = planStartOnDatadir({
      implementation: bitcoin.implementation,
      appId: input.owner,
      version: input.version,
      ...(input.recorded !== undefined && { recorded: input.recorded }),
      facts,
      ...(input.confirm?.confirmDowngrade !== undefined && {
        confirmDowngrade: input.confirm.confirmDowngrade,
      }),
      ...(input.confirm?.confirmResync !== undefined && { confirmResync: input.confirm.confirmResync }),
    });
    if (!plan.allowed) {
      throw new ArchyError(RpcErrorCode.Conflict, `${plan.refusal}. ${input.howToConfirm}`, {
        data: { guard: { kind: plan.kind, needs: plan.needs, rules: plan.rules } },
      });
    }
    const plain = plan.kind === 'same' || plan.kind === 'fresh' || plan.kind === 'upgrade';
    return { startArgs: plan.startArgs, ...(!plain && { warning: plan.warning }), facts };
  }

  /**
   * Records that the app's version runs on its datadir. `banner`: also record what this run
   * printed in debug.log (its last banner, if stamped between `runStartedAt` and now), so later
   * starts of the same build are recognised even when the build names itself differently from the
   * catalog; leave it out when the daemon marks a version it is about to start (a restore), whose
   * banner is not written yet.
   */
  async markRan(
    manifest: AppManifest,
    owner: string,
    version: string,
    options: { banner: boolean; runStartedAt?: string },
  ): Promise<void> {
    const bitcoin = manifest.bitcoin!;
    const datadir = this.pathOf(manifest, owner);
    const last = options.banner
      ? bannerOfRun(
          (await this.options.access.inspect(datadir, inspectOptions(manifest))).lastBanner,
          options.runStartedAt,
          Date.now(),
        )
      : undefined;
    await this.options.access.writeMarker(datadir, {
      implementation: bitcoin.implementation,
      version,
      network: bitcoin.network,
      appId: owner,
      ...(last && last.implementation === bitcoin.implementation && { banner: last.version }),
    });
  }
}

const inspectOptions = (manifest: AppManifest): InspectOptions => ({
  network: manifest.bitcoin!.network,
  args: manifest.command ?? [],
});
