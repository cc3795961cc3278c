import { describe, expect, it } from 'vitest';
import { isValidAppId } from '../util/app-id.js';
import { DAEMON_FILES, DAEMON_FOLDERS, DAEMON_NAMES, DataLayout } from './data-layout.js';

const layout = new DataLayout('/data');

/** Every path the layout names (getters and per-app paths for a sample app). */
function everyPath(): string[] {
  const proto = Object.getOwnPropertyDescriptors(DataLayout.prototype);
  const getters = Object.entries(proto)
    .filter(([, d]) => d.get !== undefined)
    .map(([name]) => (layout as unknown as Record<string, string>)[name]!);
  return [...getters, layout.appDataDir('x'), layout.appConfigFile('x'), layout.appRecordFile('x')];
}

describe('DataLayout', () => {
  it('puts every daemon path in a reserved folder or a reserved file at the top', () => {
    const reserved = new Set<string>([...DAEMON_FOLDERS, ...Object.values(DAEMON_FILES)]);
    for (const path of everyPath()) {
      const top = path.slice('/data/'.length).split('/')[0]!;
      expect(reserved.has(top), `${path} is under '${top}', which is not reserved`).toBe(true);
    }
  });

  it('reserves the names an app id could take, so no app gets a daemon folder', () => {
    // A top-level file whose name an app id could take is reserved like a folder.
    const takeable = Object.values(DAEMON_FILES).filter(isValidAppId);
    expect(takeable).toEqual(['web-setup-code']);
    expect(DAEMON_NAMES).toEqual(expect.arrayContaining([...DAEMON_FOLDERS, ...takeable]));
    expect(DAEMON_FOLDERS).toEqual(
      expect.arrayContaining(['apps', 'secrets', 'state', 'trust', 'catalog', 'audit']),
    );
    expect(new Set(DAEMON_FOLDERS).size).toBe(DAEMON_FOLDERS.length);
  });

  it('keeps the documented paths', () => {
    expect(layout.appDataDir('bitcoin')).toBe('/data/apps/bitcoin');
    expect(layout.appRecordFile('bitcoin')).toBe('/data/state/apps/bitcoin.json');
    expect(layout.appConfigFile('bitcoin')).toBe('/data/app-configs/bitcoin.json');
    expect(layout.intentsDir).toBe('/data/state/intents');
    expect(layout.daemonInfoFile).toBe('/data/run/daemon.json');
    expect(layout.cookieFile).toBe('/data/.cookie');
    expect(layout.masterKeyFile).toBe('/data/secrets/.master-key');
    expect(layout.auditLogFile).toBe('/data/audit/audit.log');
    expect(layout.webAuthFile).toBe('/data/web-auth.json');
  });
});
