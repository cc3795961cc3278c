import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { convertUmbrelStore } from './app-folder.js';
import { formatReport, summarize } from './store-report.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/umbrel/', import.meta.url));

describe('the store report', () => {
  it('counts the fixture store: three converted with warnings, two refused, per reason', async () => {
    const report = summarize(await convertUmbrelStore(FIXTURES));
    expect(report.apps.map((app) => [app.id, app.status])).toEqual([
      ['broken', 'refused'],
      ['host-tools', 'refused'],
      ['ledger-db', 'warnings'],
      ['notes', 'warnings'],
      ['pay-hub', 'warnings'],
    ]);
    expect(report.counts).toEqual({ converted: 0, warnings: 3, refused: 2 });
    expect(report.reasons).toEqual({ invalid: 1, privileged: 1, 'host-network': 1, 'docker-socket': 1 });
    expect(report.apps[0]).not.toHaveProperty('manifest');

    const text = formatReport(report);
    expect(text).toMatch(/^host-tools\s+refused\s+privileged: service agent runs privileged/m);
    expect(text).toMatch(/^notes\s+warnings\s+warnings: app-proxy-auth, restart$/m);
    expect(text).toContain('5 apps: 0 converted, 3 converted with warnings, 2 refused');
    expect(text).toContain(
      'refused apps per reason: invalid 1, privileged 1, host-network 1, docker-socket 1',
    );
  });
});
