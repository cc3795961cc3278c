export { planAdoption, type AppPlan } from './adoption-plan.js';
export {
  discoverParmanode,
  locateBitcoinDatadir,
  runningBitcoind,
  PARMANODE_UNITS,
  type BitcoinFindings,
  type DiscoveryReport,
  type UnitState,
} from './discover.js';
export { askBitcoindToStop, rpcSettings, waitForExit } from './host-bitcoind.js';
export { parseInstalledConf, parseParmanodeConf, type InstalledEntry } from './parmanode-conf.js';
export { formatDiscovery } from './format.js';
