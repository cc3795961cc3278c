// The apps' own Tor (README "Tor"): the image built from the host's tor package, the torrc, the
// control-port password hash, and the onion addresses Tor writes. The orchestrator runs each
// app's Tor as a sidecar in the app's network namespace; the node's own Tor (remote access)
// reuses the same parts.

export {
  controlPasswordMatches,
  generateControlPassword,
  hashControlPassword,
  s2kByteCount,
} from './control-password.js';
export { ONION_ADDRESS, readOnionAddress, waitForOnionAddress } from './onion-address.js';
export {
  ensureTorImage,
  hostTorVersion,
  parseLdd,
  TOR_IMAGE_REPOSITORY,
  TOR_PACKAGE_VERSION_LABEL,
  torImageReference,
  torImageTag,
  type EnsureTorImageOptions,
  type TorImage,
} from './tor-image.js';
export {
  renderTorrc,
  TOR_CONTROL_ADDRESS,
  TOR_DATA_DIR,
  TOR_HOME,
  TOR_ONIONS_DIR,
  TOR_SOCKS_ADDRESS,
  TORRC_PATH,
  type TorrcOnion,
  type TorrcOptions,
} from './torrc.js';
export {
  appOnions,
  effectiveTorMode,
  needsTorSidecar,
  type AppOnion,
  type TorMode,
  type UserTorChoice,
} from './app-tor.js';
export {
  DEFAULT_ADDRESS_TIMEOUT_MS,
  NODE_TOR_CONTAINER,
  NODE_TOR_LABEL,
  NodeTor,
  UI_SOCKET_RELATIVE,
  WEB_ONION_NAME,
  type NodeTorOptions,
  type NodeTorPodman,
  type RemoteAccessChange,
  type UiSocket,
} from './node-tor.js';
