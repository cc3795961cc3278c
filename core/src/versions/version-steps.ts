// What set-version, the implementation switch and their recovery share: the options they are made
// with, announcing a step in the intent journal, bringing a new version up, committing it (the
// datadir marker), restoring the previous version, and the small pure helpers around them.

import { RpcErrorCode } from '../kernel/index.js';
import type { CatalogApp } from '../catalog/index.js';
import { describeSync } from '../health/bitcoin-sync.js';
import type { AppConfigStore } from '../orchestrator/app-config.js';
import type { AppRecord } from '../orchestrator/app-record.js';
import { runKey, thisRunsBanner, type AppRuntime } from '../orchestrator/app-runtime.js';
import type { BitcoinDatadirs } from '../orchestrator/bitcoin-datadir.js';
import type { CatalogService } from '../orchestrator/catalog-service.js';
import { decisiveExitOutput, EXIT_OUTPUT_TAIL, type ExitOutput } from '../orchestrator/exit-output.js';
import type { PauseHook } from '../orchestrator/test-pause.js';
import { ArchyError } from '../kernel/index.js';
import type { AppEffects, AppRegistry } from './app-operations.js';
import type { IntentInput, IntentJournal, IntentVersion } from './intent-journal.js';
import type { DecidedChange } from './version-plan.js';

export interface VersionSwitchOptions {
  registry: AppRegistry;
  effects: AppEffects;
  catalog: Pick<CatalogService, 'entry'>;
  configs: Pick<AppConfigStore, 'get'>;
  journal: IntentJournal;
  bitcoinDatadirs: Pick<BitcoinDatadirs, 'inspect' | 'markRan'>;
  pause: PauseHook;
  log: (level: 'info' | 'warn' | 'error', details: object, message: string) => void;
  /**
   * The apps that use a Bitcoin node through an interface (bitcoin-node) follow it across a
   * Core ⇄ Knots switch: bound to the target before it is created (so it gets their logins),
   * recreated on its network once it runs (orchestrator/credential-actions.ts).
   */
  dependents?: {
    rebind(fromId: string, toId: string): Promise<void>;
    reattach(providerId: string): Promise<string[]>;
  };
}

export interface PlannedChange {
  warning?: string;
  startArgs: string[];
}

export class VersionSteps {
  constructor(private readonly options: VersionSwitchOptions) {}

  private get registry(): AppRegistry {
    return this.options.registry;
  }

  private get effects(): AppEffects {
    return this.options.effects;
  }

  /** Journals the step about to run (then the test hook may stop there). */
  async announce(intent: IntentInput): Promise<void> {
    await this.options.journal.write(intent);
    await this.options.pause(intent.step, intent.app);
  }

  /**
   * Creates and starts the new container and waits for it to become healthy; `beforeStart` marks
   * the journal step. Returns why it failed, or undefined when it is up: the caller rolls back.
   */
  async bringUp(
    runtime: AppRuntime,
    startArgs: string[],
    beforeStart: () => Promise<void>,
  ): Promise<string | undefined> {
    try {
      await this.effects.createContainer(runtime, startArgs);
      await beforeStart();
      await this.effects.startContainer(runtime);
      const healthy = await this.effects.waitUntilHealthy(runtime);
      return healthy.ok ? undefined : healthy.why;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * The change itself succeeded; recreating without the one-time arguments is housekeeping. If it
   * fails, the change stands: the record keeps the arguments spent, so the next start (the user's,
   * or the reconcile's) creates the container without them.
   */
  async dropFirstStartArgs(runtime: AppRuntime): Promise<void> {
    try {
      await this.effects.dropFirstStartArgs(runtime);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      runtime.message = `could not restart ${runtime.record.id} without its one-time start arguments: ${why}; 'archy restart ${runtime.record.id}' tries again`;
      this.options.log('warn', { app: runtime.record.id, err: error }, runtime.message);
    }
  }

  /**
   * After a change whose first start ran a one-time reindex: the container was just recreated
   * without it, so the answer waits until the node is healthy again and says whether bitcoind is
   * still rebuilding (it carries on from where it was), with its progress when the probe reports it.
   */
  async afterReindex(runtime: AppRuntime, startArgs: readonly string[]): Promise<string | undefined> {
    const args = startArgs.filter((arg) => arg.startsWith('-reindex'));
    if (args.length === 0) return undefined;
    const id = runtime.record.id;
    const what = args.includes('-reindex') ? 'block index and chainstate' : 'chainstate';
    const healthy = await this.effects.waitUntilHealthy(runtime);
    if (!healthy.ok) {
      return (
        `${id} was started again without ${args.join(' ')} and has not answered healthy yet (${healthy.why}); ` +
        `bitcoind may still be rebuilding its ${what}: see 'archy status ${id}' and 'archy logs ${id}'`
      );
    }
    const sync = runtime.health?.lastSync;
    if (sync && sync.blocks < sync.headers) {
      return `${id} is healthy and still rebuilding its ${what} (${describeSync(sync)}); it carries on by itself`;
    }
    return `${id} is healthy again, started without ${args.join(' ')} from now on`;
  }

  /** After a successful start: the marker says which version ran, and the record is final. */
  async commit(runtime: AppRuntime): Promise<void> {
    await this.registry.saveRecord(runtime.record);
    await this.writeMarker(runtime);
  }

  async writeMarker(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin) return;
    await this.options.bitcoinDatadirs.markRan(
      runtime.manifest,
      runtime.record.id,
      runtime.record.version,
      thisRunsBanner(runtime),
    );
    runtime.markedRun = runKey(runtime);
  }

  /**
   * The daemon restores a version over one that failed to come up: it accepts what the failed
   * start may have left (its banner in debug.log), so later starts of the restored version are not
   * taken for a downgrade. A marker that cannot be written is logged: the next start then asks.
   */
  async markRestored(runtime: AppRuntime): Promise<void> {
    if (!runtime.manifest.bitcoin) return;
    try {
      await this.options.bitcoinDatadirs.markRan(
        runtime.manifest,
        runtime.record.id,
        runtime.record.version,
        {
          banner: false,
        },
      );
    } catch (error) {
      this.options.log('warn', { app: runtime.record.id, err: error }, 'could not mark the restored version');
    }
  }

  /** Back to `from` on the same data: stop and remove the new container, create and start the old. */
  async restore(runtime: AppRuntime, from: IntentVersion): Promise<void> {
    const id = runtime.record.id;
    await this.effects.stopContainer(runtime).catch(() => undefined);
    await this.effects.removeContainer(id);
    applyVersion(runtime.record, from);
    await this.registry.saveRecord(runtime.record);
    await this.markRestored(runtime);
    await this.effects.createContainer(runtime, []);
    if (runtime.record.desired === 'running') await this.effects.startContainer(runtime);
  }

  /** What the version that did not come up said: its decisive lines, no reindex advice the guard did not approve. */
  async exitOutput(runtime: AppRuntime, approvedArgs: readonly string[]): Promise<ExitOutput> {
    const lines = await this.effects.lastLogs(runtime.record.id, EXIT_OUTPUT_TAIL);
    return decisiveExitOutput(lines, { bitcoin: runtime.manifest.bitcoin !== undefined, approvedArgs });
  }

  catalogEntry(id: string): CatalogApp {
    const entry = this.options.catalog.entry(id);
    if (!entry) {
      throw new ArchyError(
        RpcErrorCode.NotFound,
        `the catalog lists no versions of '${id}', so its version cannot be changed; see 'archy catalog'`,
      );
    }
    return entry;
  }
}

/** Throws the plan's refusal (a Conflict whose data carries the plan); else what the change needs. */
export function checked(plan: DecidedChange): PlannedChange {
  if (!plan.allowed) {
    throw new ArchyError(
      RpcErrorCode.Conflict,
      plan.refusal ??
        plan.warning ??
        `this version change is refused; run the same command with --dry-run to see what it would need`,
      {
        data: {
          plan: { kind: plan.kind, needs: plan.needs, warning: plan.warning ?? '', rules: plan.rules },
        },
      },
    );
  }
  // Never -reindex=auto: the plans only ever name -reindex or -reindex-chainstate; this says so twice.
  const startArgs = plan.startArgs.filter((arg) => !arg.startsWith('-reindex=auto'));
  // Only a Bitcoin plan (it always names the datadir's writer) puts its words in the result.
  return { ...(plan.datadirVersion && { warning: plan.warning }), startArgs };
}

/** " Last log lines of 30.0: … | …" (and what was left out), or nothing when there were none. */
export function quoted(heading: string, output: ExitOutput): string {
  const lines = output.lines.length > 0 ? ` ${heading}: ${output.lines.join(' | ').slice(0, 800)}` : '';
  return `${lines}${output.withheldAdvice ? ` (${output.withheldAdvice})` : ''}`;
}

export function versionOf(record: AppRecord): IntentVersion {
  return {
    id: record.id,
    version: record.version,
    image: record.image,
    ...(record.runImage !== undefined && { runImage: record.runImage }),
    ...(record.catalogDigest !== undefined && { catalogDigest: record.catalogDigest }),
  };
}

export function applyVersion(record: AppRecord, side: IntentVersion): void {
  record.version = side.version;
  record.image = side.image;
  if (side.runImage !== undefined) record.runImage = side.runImage;
  else delete record.runImage;
  if (side.catalogDigest !== undefined) record.catalogDigest = side.catalogDigest;
  else delete record.catalogDigest;
}
