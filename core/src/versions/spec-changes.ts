// The version changes the recovery specs run against the fake node: each with the app and
// version it starts from and the one it goes to, and how to ask the daemon for it.

import type { VersionSwitch } from './version-switch.js';
import { catalogEntry, FakeNode, bundledManifests } from './spec-fake-node.js';

export const CORE_VERSIONS = ['31.1', '30.2'];
export const KNOTS_VERSIONS = ['29.4.2.knots20260508'];
/** What the data dir holds: it must come out of every change the same, in exactly one place. */
export const CHAIN_DATA = 'blocks/ chainstate/ wallets/ (the chain, exactly as it was)';

export interface Side {
  app: string;
  version: string;
}

export interface VersionChange {
  name: string;
  op: 'set-version' | 'switch-implementation';
  from: Side;
  to: Side;
  run(daemon: VersionSwitch): Promise<unknown>;
}

const core = (version: string): Side => ({ app: 'bitcoin-core', version });
const knots = (version: string): Side => ({ app: 'bitcoin-knots', version });

export const CHANGES: VersionChange[] = [
  {
    name: 'set-version up',
    op: 'set-version',
    from: core('30.2'),
    to: core('31.1'),
    run: (daemon) => daemon.setVersion({ id: 'bitcoin-core', version: '31.1' }),
  },
  {
    name: 'set-version down',
    op: 'set-version',
    from: core('31.1'),
    to: core('30.2'),
    run: (daemon) =>
      daemon.setVersion({
        id: 'bitcoin-core',
        version: '30.2',
        confirmDowngrade: true,
        confirmResync: 'bitcoin-core',
      }),
  },
  {
    name: 'update',
    op: 'set-version',
    from: core('30.2'),
    to: core('31.1'),
    run: (daemon) => daemon.update('bitcoin-core'),
  },
  {
    name: 'switch Core → Knots',
    op: 'switch-implementation',
    from: core('31.1'),
    to: knots('29.4.2.knots20260508'),
    run: (daemon) =>
      daemon.switchImplementation({
        from: 'bitcoin-core',
        to: 'bitcoin-knots',
        confirmSwitch: true,
        confirmDowngrade: true,
        confirmResync: 'bitcoin-knots',
      }),
  },
  {
    name: 'switch Knots → Core',
    op: 'switch-implementation',
    from: knots('29.4.2.knots20260508'),
    to: core('31.1'),
    run: (daemon) =>
      daemon.switchImplementation({ from: 'bitcoin-knots', to: 'bitcoin-core', confirmSwitch: true }),
  },
];

const manifests = await bundledManifests();

/** A node running `change.from` on CHAIN_DATA, the target healthy or not once started. */
export function nodeFor(change: VersionChange, dataDir: string, targetHealthy: boolean): FakeNode {
  const node = new FakeNode(dataDir, manifests, {
    'bitcoin-core': catalogEntry('bitcoin-core', CORE_VERSIONS),
    'bitcoin-knots': catalogEntry('bitcoin-knots', KNOTS_VERSIONS),
  });
  node.install(change.from.app, change.from.version, CHAIN_DATA);
  node.healthy = (id, version) => targetHealthy || id !== change.to.app || version !== change.to.version;
  return node;
}

/** The node settled on exactly `side`: one record, one running container, the data untouched under it. */
export async function convergedOn(node: FakeNode): Promise<Side> {
  const journal = await node.journal.loadAll();
  if (journal.length > 0) throw new Error(`intents left: ${JSON.stringify(journal)}`);
  const ids = [...node.records.keys()];
  if (ids.length !== 1) throw new Error(`records of ${ids.join(', ') || 'no app'}: expected exactly one`);
  const record = node.records.get(ids[0]!)!;
  const side = { app: record.id, version: record.version };
  const problems: string[] = [];
  if (record.desired !== 'running' || record.phase !== 'installed')
    problems.push(`record ${record.desired}/${record.phase}`);
  if (record.image !== `localhost/archipelago/${side.app}:${side.version}`)
    problems.push(`record image ${record.image}`);
  const containers = [...node.containers.entries()].map(
    ([id, c]) => `${id}@${c.version}${c.running ? '' : ' (stopped)'}`,
  );
  if (containers.join() !== `${side.app}@${side.version}`)
    problems.push(`containers: ${containers.join(', ') || 'none'}`);
  const data = Object.fromEntries(node.dataDirs);
  if (JSON.stringify(data) !== JSON.stringify({ [side.app]: CHAIN_DATA }))
    problems.push(`data dirs: ${JSON.stringify(data)}`);
  if (node.secrets.get(side.app)?.rpcauth === undefined) problems.push(`no RPC secrets for ${side.app}`);
  const networks = [...node.networks];
  if (networks.join() !== side.app) problems.push(`networks: ${networks.join(', ')}`);
  const runtimes = [...node.runtimes.values()].map((r) => `${r.record.id}@${r.record.version}`);
  if (runtimes.join() !== `${side.app}@${side.version}`)
    problems.push(`daemon's view: ${runtimes.join(', ')}`);
  if (problems.length > 0)
    throw new Error(`not converged on ${side.app} ${side.version}: ${problems.join('; ')}`);
  return side;
}

/**
 * Where a change must end, judged from what happened rather than from the recovery table: on the
 * new version if it ever started (it may have upgraded the data: going back could be a downgrade)
 * and is healthy, else on the old one.
 */
export function mustEndOn(node: FakeNode, change: VersionChange, targetHealthy: boolean): Side {
  return targetHealthy && node.ran.has(`${change.to.app}@${change.to.version}`) ? change.to : change.from;
}
