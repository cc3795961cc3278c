import { createHash } from 'node:crypto';
import { AppRecordStore } from '../orchestrator/app-record.js';
import { DataLayout } from '../layout/index.js';
import type { AuditLog } from '../security/audit/index.js';
import { authMethodOf } from './auth.js';
import { maskTarget } from '../backup/index.js';
import type { RpcObserver } from './rpc-dispatcher.js';

/** Methods that change something: each call, allowed or refused, goes in the audit log. */
const STATE_CHANGING = new Set([
  'container-install',
  'container-start',
  'container-stop',
  'container-restart',
  'container-remove',
  'package.install',
  'package.update',
  'package.set-version',
  'package.set-config',
  'package.switch-implementation',
  // archy web password (its params are not kept: KEPT_PARAMS has no password).
  'web.set-password',
  'package.rotate-credentials',
  'package.adopt',
  'package.release',
  'tor.onion-add',
  'tor.onion-remove',
  'backup.init',
  'backup.confirm-key',
  'backup.create',
  // Shows the backup key (a read, audited as the reveal of a secret).
  'backup.key-show',
  // A schedule change (a call without params only shows it, and is logged the same).
  'backup.schedule',
  'backup.restore',
  // An OS update: the bundle's URL is kept (see KEPT_PARAMS).
  'os.update',
]);

/** Reads that are audited all the same: showing an app's secret values (`reveal`). */
const isReveal = (method: string, params: unknown): boolean =>
  method === 'package.connection-info' &&
  typeof params === 'object' &&
  params !== null &&
  (params as { reveal?: unknown }).reveal === true;

/** `web.remote-access` changes something (turns the onion on or off, or makes a new address) unless it only asks. */
const changesRemoteAccess = (method: string, params: unknown): boolean =>
  method === 'web.remote-access' &&
  typeof params === 'object' &&
  params !== null &&
  Object.keys(params).length > 0;

/** Calls that leave an app running a (possibly) new manifest: its digest is recorded. */
const INSTALLS_A_MANIFEST = new Set([
  'container-install',
  'package.install',
  'package.update',
  'package.set-version',
  'package.switch-implementation',
  'package.adopt',
]);

/** Params worth keeping: a manifest's whole text is not (its digest is), its file name and id are. */
const KEPT_PARAMS = [
  'id',
  'version',
  'manifestFile',
  'purge',
  'cascade',
  'pinnedVersion',
  'autoUpdate',
  'from',
  'to',
  'confirmDowngrade',
  'confirmResync',
  'confirmSwitch',
  // The user's "yes" to an imported app's unsigned images.
  'confirmImported',
  'reveal',
  'host',
  // Which app the user chose to provide an interface (`{ 'bitcoin-node': 'bitcoin-knots' }`).
  'choices',
  // package.adopt: the host folders adopted in place, and whether it was only a check.
  'volumes',
  'check',
  // package.set-config's Tor mode; tor.onion-add/remove's ports.
  'tor',
  'port',
  'virtualPort',
  // web.remote-access: on/off, and whether a new onion address was asked for.
  'enabled',
  'newAddress',
  // backup.*: which apps, with the chain or not (the target is kept masked, below).
  'apps',
  'includeChain',
  'confirmKeySaved',
  // backup.restore: which snapshot and apps (never the key; the target masked by the backup part).
  'snapshot', // os.update: restart after it or not (the URL is kept below, without a password).
  'reboot',
];

/**
 * Writes an audit entry for every state-changing RPC call: who (by the auth check that let the
 * call in: the bearer token or a web session), what, on which app, and how it ended; for a call
 * that installs a manifest, the SHA-256 of the manifest's text, so the entry says exactly what
 * was installed.
 */
export function auditObserver(audit: AuditLog): RpcObserver {
  const records = new AppRecordStore(new DataLayout(audit.dataDir));
  return async (call, context) => {
    if (
      !STATE_CHANGING.has(call.method) &&
      !isReveal(call.method, call.params) &&
      !changesRemoteAccess(call.method, call.params)
    )
      return;
    const auth = authMethodOf(context);
    const params = (typeof call.params === 'object' && call.params !== null ? call.params : {}) as Record<
      string,
      unknown
    >;
    const kept = Object.fromEntries(
      KEPT_PARAMS.filter((key) => params[key] !== undefined).map((key) => [key, params[key] as string]),
    );
    // A backup target may hold a REST password: kept with it masked.
    if (call.method.startsWith('backup.') && typeof params.target === 'string')
      kept.target = maskTarget(params.target);
    // An OS update's bundle URL, without a password it may carry (user:password@host).
    if (call.method === 'os.update' && typeof params.url === 'string')
      kept.url = params.url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
    // An install from a manifest names its app only in the answer.
    const answeredId = call.outcome.ok ? (call.outcome.result as { id?: unknown } | null)?.id : undefined;
    const target =
      typeof params.id === 'string'
        ? params.id
        : typeof params.to === 'string'
          ? params.to
          : typeof answeredId === 'string'
            ? answeredId
            : null;
    // The manifest the caller sent, else (once it worked) the one the app now runs.
    let manifestText = typeof params.manifest === 'string' ? params.manifest : undefined;
    if (
      manifestText === undefined &&
      call.outcome.ok &&
      target !== null &&
      INSTALLS_A_MANIFEST.has(call.method)
    ) {
      manifestText = (await records.load(target).catch(() => undefined))?.manifestYaml || undefined;
    }
    if (manifestText !== undefined) {
      kept.manifestSha256 = createHash('sha256').update(manifestText, 'utf8').digest('hex');
    }
    await audit.append({
      actor: auth === 'web-session' ? 'web:admin' : 'cli',
      ...(auth !== undefined && { auth }),
      action: call.method,
      target,
      params: kept,
      result: call.outcome.ok ? 'ok' : `error: ${call.outcome.message.split('\n')[0]}`,
    });
  };
}
