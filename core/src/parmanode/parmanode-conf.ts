// Parmanode's two records in `~/.parmanode/`, read as text (never sourced: they are bash).
//
// Facts from Parmanode's source (github.com/ArmanTheParman/Parmanode): `installed.conf` holds one
// entry per line, `<app>-start` while an install runs and `<app>-end` once it finished
// (installed_config_add writes a line, removing an earlier one of that name first), e.g.
// `bitcoin-end`, `electrs-end`, `docker-end`. `parmanode.conf` holds `key=value` lines
// (parmanode_conf_add), e.g. `drive=external` for Bitcoin, `drive_electrs=…`, `drive_fulcrum=…`.

/** An app Parmanode installed, or began to install. */
export interface InstalledEntry {
  /** The app's name in installed.conf: `bitcoin`, `electrs`, `lnd`, … */
  app: string;
  /** `end`: the install finished; `start`: it began and never finished (a broken install). */
  state: 'installed' | 'unfinished';
}

/** The entries of installed.conf, in file order, one per app (an `-end` wins over a `-start`). */
export function parseInstalledConf(text: string): InstalledEntry[] {
  const entries = new Map<string, InstalledEntry['state']>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const match = /^([A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*?)-(start|end)$/.exec(line);
    if (!match) continue;
    const app = match[1]!;
    const state = match[2] === 'end' ? 'installed' : 'unfinished';
    if (entries.get(app) !== 'installed') entries.set(app, state);
  }
  return [...entries].map(([app, state]) => ({ app, state }));
}

/** `key=value` lines (quotes around the value removed; `#` comments and other lines skipped); the last wins. */
export function parseParmanodeConf(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!.trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) {
      value = value.slice(1, -1);
    }
    values[match[1]!] = value;
  }
  return values;
}
