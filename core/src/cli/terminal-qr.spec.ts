import { describe, expect, it } from 'vitest';
import { encodeQr } from '../util/qr-code.js';
import { terminalQr, terminalQrLines } from './terminal-qr.js';

/** Reads the modules back from the half blocks (colour codes stripped). */
function decodeBlocks(lines: string[]): boolean[][] {
  const rows: boolean[][] = [];
  for (const line of lines) {
    // eslint-disable-next-line no-control-regex
    const plain = [...line.replace(/\u001b\[[0-9;]*m/g, '')];
    rows.push(plain.map((ch) => ch === '█' || ch === '▀'));
    rows.push(plain.map((ch) => ch === '█' || ch === '▄'));
  }
  return rows;
}

describe('terminalQr', () => {
  it('draws every module of the symbol, inside a light quiet zone of 4, dark on light', () => {
    const url = `http://${'a'.repeat(56)}.onion/`;
    const code = encodeQr(url, { level: 'M' });
    const lines = terminalQrLines(code);
    const size = code.size + 8;
    expect(lines).toHaveLength(Math.ceil(size / 2));
    for (const line of lines) {
      expect(line.startsWith('\u001b[30;47m')).toBe(true);
      expect(line.endsWith('\u001b[0m')).toBe(true);
    }
    const modules = decodeBlocks(lines).slice(0, size);
    for (let row = 0; row < size; row++) {
      for (let col = 0; col < size; col++) {
        const inside = row >= 4 && col >= 4 && row < size - 4 && col < size - 4;
        expect(modules[row]![col], `${row},${col}`).toBe(inside ? code.modules[row - 4]![col - 4] : false);
      }
    }
    expect(terminalQr(url)).toBe(`${lines.join('\n')}\n`);
  });
});
