// The torrc of an app's Tor (and of the node's own, for remote access): pure, so what each app
// gets is unit-tested. Everything Tor needs is given here, nothing comes from /etc/tor: Tor in the
// container is started with `-f <torrc>` and an empty defaults file.

/** Where the app's `.tor/` folder is mounted in the Tor container. */
export const TOR_HOME = '/var/lib/tor';
/** The torrc inside the container (written by the daemon before every start). */
export const TORRC_PATH = `${TOR_HOME}/torrc`;
/** Tor's DataDirectory: its cache and state (not backed up). */
export const TOR_DATA_DIR = `${TOR_HOME}/data`;
/** Folder of the onion services' key folders (backed up: the addresses are app data). */
export const TOR_ONIONS_DIR = `${TOR_HOME}/onions`;
/** Tor's SOCKS port in the app's network namespace (`${ARCHY_TOR_SOCKS}`). */
export const TOR_SOCKS_ADDRESS = '127.0.0.1:9050';
/** Tor's control port in the app's network namespace (`${ARCHY_TOR_CONTROL}`). */
export const TOR_CONTROL_ADDRESS = '127.0.0.1:9051';

/** One onion service: its key folder and where its port forwards. */
export interface TorrcOnion {
  /** Key folder name under onions/ (`[a-z][a-z0-9-]*`). */
  name: string;
  /** The port on the .onion address. */
  virtualPort: number;
  /** `127.0.0.1:<port>`, or `unix:<path>` (the node's web UI). */
  target: string;
}

export interface TorrcOptions {
  /** SOCKS for the app's outbound traffic; false: `SocksPort 0` (onions only). */
  socks: boolean;
  /** The control port's password hash (hashControlPassword); absent: no control port. */
  hashedControlPassword?: string;
  onions: readonly TorrcOnion[];
  /** `DisableNetwork 1`: Tor makes its onion keys but contacts nobody (dev and tests). */
  disableNetwork: boolean;
  /** Where the SOCKS listener binds; TOR_SOCKS_ADDRESS when not given. */
  socksAddress?: string;
}

const ONION_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const TARGET = /^(127\.0\.0\.1:\d{1,5}|unix:\/[A-Za-z0-9._/-]+)$/;

/** The torrc text. Refuses a value that could add a line of its own. */
export function renderTorrc(options: TorrcOptions): string {
  const lines = [
    '# Written by Archipelago before every start of this Tor; edits are overwritten.',
    `SocksPort ${options.socks ? (options.socksAddress ?? TOR_SOCKS_ADDRESS) : '0'}`,
  ];
  if (options.hashedControlPassword !== undefined) {
    if (!/^16:[0-9A-F]{58}$/.test(options.hashedControlPassword))
      throw new Error('the control password hash is not one tor --hash-password makes');
    lines.push(
      `ControlPort ${TOR_CONTROL_ADDRESS}`,
      `HashedControlPassword ${options.hashedControlPassword}`,
    );
  }
  lines.push(`DataDirectory ${TOR_DATA_DIR}`, 'Log notice stdout', 'AvoidDiskWrites 1');
  for (const onion of options.onions) {
    if (!ONION_NAME.test(onion.name)) throw new Error(`'${onion.name}' is not an onion service name`);
    if (!TARGET.test(onion.target)) throw new Error(`'${onion.target}' is not an onion service target`);
    if (!Number.isInteger(onion.virtualPort) || onion.virtualPort < 1 || onion.virtualPort > 65535)
      throw new Error(`${onion.virtualPort} is not a port`);
    lines.push(
      `HiddenServiceDir ${TOR_ONIONS_DIR}/${onion.name}`,
      `HiddenServicePort ${onion.virtualPort} ${onion.target}`,
    );
  }
  if (options.disableNetwork) lines.push('DisableNetwork 1');
  return `${lines.join('\n')}\n`;
}
