import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { logDestination, logFormat } from './log-destination.js';
import {
  createApiServer,
  listen,
  listenOnOnionSocket,
  removeCookie,
  writeCookie,
  type OnionListener,
} from '../api/index.js';
import { WebAuth } from '../api/web-auth/index.js';
import { registerStaticUi } from '../api/static-ui.js';
import { IsolationGuard } from '../network/isolation-guard.js';
import { auditChainKey, AuditLog } from '../security/audit/index.js';
import { BundledApps, ImageTrust, Orchestrator } from '../orchestrator/index.js';
import { testPauseHook } from '../orchestrator/test-pause.js';
import {
  BackupConfigStore,
  BackupService,
  BackupTimers,
  NodeBackupKey,
  ResticSnapshotSource,
  RestoreService,
} from '../backup/index.js';
import { CatalogService, DEFAULT_CATALOG_REFRESH_MS } from '../orchestrator/catalog-service.js';
import { pinoRedaction, Redactor, resolveMasterKeySource, SecretStore } from '../security/secrets/index.js';
import { detectHostConfinement, summarizeHostConfinement } from '../security/policy/index.js';
import { budgetFromEnv, ResourceManager } from '../resources/index.js';
import { DataLayout } from '../layout/index.js';
import { logLayoutMigration, migrateDataLayout } from '../orchestrator/data-layout-migration.js';
import { parseInsecureRegistries } from '../util/image-reference.js';
import { unsignedRegistriesFromEnv } from '../orchestrator/unsigned-registries.js';
import { writeDaemonInfo } from './daemon-info.js';
import { connectPodman } from './podman-connection.js';
import { gateUntilReady } from './boot-gate.js';
import { lockDataDir } from './data-dir-lock.js';
import { reservedServicePorts } from '../orchestrator/host-ports.js';
import { ensureTorImage, NodeTor } from '../tor/index.js';
import type { DaemonOptions } from './options.js';
import { KeptLogs } from '../logs/index.js';
import { OsImageControl, osImagePaths } from '../os-image/index.js';

const VERSION = '0.1.0';

/** The bundled app manifests ship beside the package: <repo>/apps. */
const BUNDLED_APPS_DIR = fileURLToPath(new URL('../../../apps/', import.meta.url));
/** Public keys whose image signatures the node trusts out of the box: <repo>/catalog/image-keys. */
const BUNDLED_IMAGE_KEYS_DIR = fileURLToPath(new URL('../../../catalog/image-keys/', import.meta.url));
/** The built web UI (npm run build): <repo>/ui/dist. */
const BUILT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

/**
 * Runs archipelagod in the foreground until SIGINT/SIGTERM: locks the data dir, connects to (or
 * starts) rootless Podman, binds the API, reconciles the apps with what Podman reports, then
 * answers API requests. Apps keep running while the daemon is down; the next start adopts them.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const destination = await logDestination(logFormat(process.env, process.stdout));
  // Every secret value the daemon knows (stored secrets, the API token) is blanked out of every
  // log line and audit entry, whichever field or error carried it.
  const redactor = new Redactor();
  const logger = pino(
    { name: 'archipelagod', level: process.env.ARCHY_LOG_LEVEL ?? 'info', ...pinoRedaction(redactor) },
    ...(destination ? [destination] : []),
  );
  const dataDir = resolve(options.dataDir);
  // Before anything is touched: a misused escape stops the start with what to do instead.
  const unsigned = unsignedRegistriesFromEnv(process.env);
  const layout = new DataLayout(dataDir);
  // The key first: a missing or wrong key stops the start before anything in the data dir changes
  // (not even the lock's key file). Unlocking only reads, but on a node with no secrets yet, where
  // it creates the key exclusively and reads back whichever key won.
  const secrets = new SecretStore(dataDir, {
    redactor,
    masterKey: resolveMasterKeySource(dataDir, { keyFile: options.masterKeyFile }),
  });
  const unlocked = await secrets.unlock();
  for (const warning of unlocked.warnings) logger.warn(warning);
  // Then a second daemon on this data dir stops here, having changed nothing.
  const lock = await lockDataDir(dataDir);
  await mkdir(layout.runDir, { recursive: true, mode: 0o700 });
  // Before Podman starts or any app is touched: app data may still be where data layout 1 kept it.
  // A refusal (data in two places) ends the start here, with nothing running.
  logLayoutMigration(await migrateDataLayout(layout), layout, logger);

  const insecureRegistries = parseInsecureRegistries(process.env.ARCHY_INSECURE_REGISTRIES);
  const podman = await connectPodman({
    runDir: layout.runDir,
    insecureRegistries,
    logger,
    ...(options.podmanSocket ? { socketPath: options.podmanSocket } : {}),
  });
  const info = await podman.client.info();
  if (!info.rootless) {
    await podman.close();
    throw new Error(
      'Podman is running as root; archipelagod runs apps rootless only: start it as an unprivileged user (npm start does this for you)',
    );
  }
  // Once per start: the kernel's and Podman's abilities do not change under a running daemon.
  const confinement = await detectHostConfinement(
    { rootless: info.rootless, selinuxEnabled: info.selinuxEnabled },
    layout.apparmorDir,
  );
  const confinementSummary = summarizeHostConfinement(confinement);
  logger.info(
    { apparmor: confinement.apparmor.usable, selinux: confinement.selinux },
    `app confinement: ${confinementSummary.applied}`,
  );
  for (const note of confinementSummary.notes) logger.warn(note);
  for (const warning of unsigned.warnings) logger.warn(warning);

  // The catalog: the bundled one, or the newer verified one this node stored; refreshed on a timer.
  const catalog = new CatalogService({
    dataDir,
    ...(process.env.ARCHY_CATALOG_URL ? { url: process.env.ARCHY_CATALOG_URL } : {}),
    // Another trusted root and bundled catalog than the repo's catalog/ (a fleet's own, or a test's).
    ...(process.env.ARCHY_CATALOG_DIR ? { bundledDir: process.env.ARCHY_CATALOG_DIR } : {}),
    refreshIntervalMs: positiveNumber(process.env.ARCHY_CATALOG_REFRESH_MS) ?? DEFAULT_CATALOG_REFRESH_MS,
    logger,
  });
  await catalog.load();
  const audit = new AuditLog(dataDir, { redactor, chainKey: auditChainKey(unlocked.key) });
  if ((await audit.head()).anchorFrozen) {
    logger.warn(
      'the audit log does not match its head.json (entries cut or rewritten); run: archy audit verify',
    );
  }
  // Ports no app may publish: the local registries and catalog server now, the API once bound.
  const reservedPorts = reservedServicePorts({
    registries: insecureRegistries,
    ...(process.env.ARCHY_CATALOG_URL ? { catalogUrl: process.env.ARCHY_CATALOG_URL } : {}),
  });

  // Before any container is created: each one's output is captured from its creation on.
  const keptLogs =
    options.keptLogs?.enabled === false
      ? undefined
      : new KeptLogs({
          layout,
          podman: podman.client,
          ...(options.keptLogs?.limits && { limits: options.keptLogs.limits }),
          logger,
        });

  const appsDir = process.env.ARCHY_APPS_DIR ?? BUNDLED_APPS_DIR;
  const bundledApps = new BundledApps(appsDir, logger);
  const orchestrator: Orchestrator = new Orchestrator({
    catalog,
    secrets,
    audit,
    podman: podman.client,
    dataDir,
    admission: { admit: (app) => resources.admit(app) },
    imageTrust: new ImageTrust({
      keyDirs: [BUNDLED_IMAGE_KEYS_DIR, layout.imageKeysDir],
      insecureRegistries,
      unsignedRegistries: unsigned.registries,
      logger,
      keyPins: () => catalog.imageKeyPins(),
      bundledPins: (appId) => bundledApps.pinnedImages(appId),
      // Read at each verification: the record of an imported app carries what the user confirmed.
      importedPins: (appId) => orchestrator.importedImages(appId),
    }),
    appsDir,
    insecureRegistries,
    confinement,
    logger,
    reservedPorts: () => reservedPorts,
    // Dev and test switch (README "Tor"): the apps' Tor makes its onion keys but contacts nobody.
    torDisableNetwork: process.env.ARCHY_TOR_DISABLE_NETWORK === '1',
    ...(keptLogs && { keptLogs }),
  });

  const resources = new ResourceManager({
    source: { list: () => orchestrator.resourceApps() },
    podman: podman.client,
    dataDir,
    budget: budgetFromEnv(process.env),
  });

  // Backups (README "Backups"): a backup killed with the daemon left its metadata folder; it goes
  // before the apps are reconciled (those it stopped are started by the reconcile).
  // Restores (README "Restore"): an interrupted one is converged after the boot reconcile, below.
  const backupConfig = new BackupConfigStore(layout);
  const nodeBackupKey = new NodeBackupKey(secrets);
  const restores = new RestoreService({
    door: orchestrator,
    layout,
    secrets,
    source: new ResticSnapshotSource(layout.runDir),
    configured: async () => {
      const config = await backupConfig.read();
      const key = await nodeBackupKey.get();
      return { ...(config && { target: config.target }), ...(key !== undefined && { key }) };
    },
    // As the backup recorded it (orchestrator/backup-hold.ts): a roll-back reinstalls an old app so.
    manifestSourceOf: (record) =>
      record.catalogDigest
        ? 'catalog'
        : record.manifestFile === bundledApps.path(record.id)
          ? 'bundled'
          : 'file',
    events: orchestrator.events,
    pause: testPauseHook(logger),
    log: logger,
  });

  // Remote access over Tor: the node's Tor forwards its onion to a second listener of the same
  // server (a unix socket), opened only while remote access is on.
  let onionListener: OnionListener | undefined;
  const nodeTor = new NodeTor({
    layout,
    podman: podman.client,
    image: async () =>
      (
        await ensureTorImage({
          podmanUrl: `unix://${podman.socketPath}`,
          workRoot: layout.scratchDir,
          imagesDir: layout.imagesDir,
        })
      ).reference,
    uiSocket: {
      open: async (path) => {
        onionListener ??= await listenOnOnionSocket(server, path);
      },
      close: async () => {
        const closing = onionListener;
        onionListener = undefined;
        await closing?.close();
      },
    },
    disableNetwork: process.env.ARCHY_TOR_DISABLE_NETWORK === '1',
    logger,
  });
  // Backups (README "Backups"): a backup killed with the daemon left its metadata folder; it goes
  // before the apps are reconciled (those it stopped are started by the reconcile).
  const backups = new BackupService({
    layout,
    secrets,
    hold: orchestrator.backupHold,
    restorer: restores,
    events: orchestrator.events,
    pause: testPauseHook(logger),
    log: logger,
  });
  await backups.recover();
  // The schedule's timer and LND's channel.backup watcher (README "Scheduled backups"): started
  // after the reconcile, so a run missed while the node was off finds its apps adopted.
  const backupTimers = new BackupTimers({ jobs: backups, layout, logger });

  const token = await writeCookie(dataDir);
  redactor.add(token);
  const webAuth = await WebAuth.open({ dataDir, onionHostname: () => nodeTor.onionHostname() });
  const setupCode = await webAuth.issueSetupCode();
  const startedAt = new Date().toISOString();
  const server = createApiServer({
    lifecycle: orchestrator,
    resources,
    backups,
    backupSchedule: backupTimers,
    // One job at a time: a restore runs as the backup service's job (a backup waits or is refused).
    restore: { restore: (request) => backups.restore(request), plan: (request) => restores.plan(request) },
    audit,
    token,
    webAuth,
    remoteAccess: nodeTor,
    // Archipelago OS (README "OS updates"); on other hosts os.status answers {supported: false}.
    osImage: new OsImageControl({ paths: osImagePaths() }),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    logger,
    info: () => ({
      version: VERSION,
      dataDir,
      podman: { version: info.version, rootless: info.rootless },
      startedAt,
      confinement: confinementSummary,
      unsignedRegistries: [...unsigned.registries],
    }),
  });
  registerStaticUi(server, { root: process.env.ARCHY_UI_DIR ?? BUILT_UI_DIR });
  // Bound before any app starts, so no app can take the API's port; answers once reconciled.
  const gate = gateUntilReady(server);
  const url = await listen(server, options.listen);
  reservedPorts.push({
    port: Number(new URL(url).port || 80),
    protocol: 'tcp',
    owner: `this daemon's API (${url})`,
  });

  // Subscribed before reconciling, so nothing that happens during boot goes unseen.
  const events = podman.client.eventStream({
    filters: { type: ['container'] },
  });
  const isolation = new IsolationGuard(logger);
  events.on('event', (event) => {
    orchestrator.applyContainerEvent(event);
    nodeTor.applyContainerEvent(event);
    // After the start, not at `init`: the check runs `podman unshare --rootless-netns`, which
    // would wait on the same namespace the starting container is being wired into (a crash's
    // restart by Podman's policy took ~90 ms longer). A fresh namespace has netavark's own
    // isolation until its last container goes; our rule is for after that.
    if (event.action === 'start') isolation.containerStarted();
  });
  let interrupted = false;
  events.on('disconnected', ({ error, retryInMs }) => {
    interrupted = true;
    logger.warn({ err: error, retryInMs }, 'Podman event stream interrupted; reconnecting');
  });
  // Events from while the stream was down may be lost: compare every app with Podman again.
  events.on('connected', () => {
    if (!interrupted) return;
    interrupted = false;
    void orchestrator.resync();
  });
  events.start();
  // What the apps wrote while the daemon was down is kept before anything is recreated.
  await keptLogs?.start();
  await isolation.check();
  await orchestrator.reconcile();
  // Before the API answers: an interrupted restore finishes (or rolls back) app by app first.
  await restores.recover();
  gate.open();

  await writeDaemonInfo(dataDir, { url, pid: process.pid });
  logger.info({ url, dataDir, podman: podman.socketPath }, 'archipelagod is ready');
  if (options.trustedProxies) {
    logger.info(
      { trustedProxies: options.trustedProxies },
      'believing X-Forwarded-For/-Proto from these proxies only',
    );
  }
  if (setupCode) {
    // The one place besides the 0600 file where the code appears: whoever reads the daemon's own
    // output is the node's owner. It goes once a password is set.
    logger.warn(
      `no web password is set yet: open ${url} and enter the setup code ${setupCode} to choose one (also shown by \`archy web setup-code\`; or set it with \`archy web password\`)`,
    );
  }
  // After the reconcile: the first check may auto-update apps, which needs them adopted.
  catalog.start();
  await backupTimers.start();
  // In the background: building the Tor image on first use must not hold up the API.
  void nodeTor.resume();

  await waitForSignal(logger);
  backupTimers.stop();
  // Before the server: the node's Tor and its socket go, the setting and the key stay.
  await nodeTor
    .shutdown()
    .catch((error: unknown) => logger.error({ err: error }, "could not remove the node's Tor container"));
  await backups.shutdown();
  await server.close();
  await catalog.stop();
  await events.stop();
  await isolation.idle();
  orchestrator.shutdown();
  await keptLogs?.stop();
  await removeCookie(dataDir);
  await podman.close();
  await lock.release();
  logger.info('stopped; apps keep running and will be adopted at the next start');
}

function waitForSignal(logger: Logger): Promise<void> {
  return new Promise((resolvePromise) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolvePromise();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** A positive number from the environment, or undefined (a test hook may shorten the catalog timer). */
function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}
