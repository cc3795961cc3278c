import { describe, expect, it } from 'vitest';
import { formatOnionList, parsePort } from './tor.js';
import { parseTorSwitch } from './versions.js';
import { formatTorLines } from '../format.js';

const ADDRESS = `${'a'.repeat(56)}.onion`;

describe('archy onion and archy config --tor', () => {
  it('reads ports and the Tor switch, refusing anything else', () => {
    expect(parsePort('8080')).toBe(8080);
    for (const bad of ['0', '65536', '80x', '-1']) expect(() => parsePort(bad)).toThrow(/1 to 65535/);
    expect(parseTorSwitch('on')).toBe('tor');
    expect(parseTorSwitch('off')).toBe('clearnet');
    expect(parseTorSwitch('default')).toBeNull();
    expect(() => parseTorSwitch('maybe')).toThrow(/on, off or default/);
  });

  it('shows the mode and every onion with its address', () => {
    const tor = {
      mode: 'clearnet' as const,
      default: 'tor' as const,
      sidecar: 'running' as const,
      onions: [
        { name: 'port-8080', port: 8080, virtualPort: 80, source: 'user' as const, address: ADDRESS },
        { name: 'p2p', port: 8334, virtualPort: 8333, source: 'app' as const },
      ],
    };
    expect(formatTorLines(tor)).toEqual([
      'mode clearnet (switched off by you; archy config <id> --tor on)',
      `onion port-8080: ${ADDRESS}:80 → port 8080`,
      'onion p2p: (being created) → port 8334 (made by the app)',
    ]);
    expect(formatOnionList([{ id: 'hello', ...tor }])).toContain(ADDRESS);
    expect(formatOnionList([])).toMatch(/archy onion add/);
  });
});
