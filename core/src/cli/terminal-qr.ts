import { encodeQr, type QrCode } from '../util/qr-code.js';

// A QR code in a terminal: two module rows per text line with the half blocks ▀ ▄ █, so the
// symbol stays roughly square in a usual 1:2 character cell. Drawn black on a white background
// set by ANSI colours, because scanners want dark on light and many terminals are dark; with
// the standard's quiet zone of 4 light modules on every side.

const RESET = '\u001b[0m';
/** Black foreground on a white background. */
const DARK_ON_LIGHT = '\u001b[30;47m';
const QUIET_ZONE = 4;

/** The lines of `code` for a terminal, each ending with the colour reset. */
export function terminalQrLines(code: QrCode, margin = QUIET_ZONE): string[] {
  const size = code.size + 2 * margin;
  const dark = (row: number, col: number): boolean => {
    const r = row - margin;
    const c = col - margin;
    return r >= 0 && c >= 0 && r < code.size && c < code.size && code.modules[r]![c] === true;
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const top = dark(row, col);
      const bottom = row + 1 < size && dark(row + 1, col);
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' ';
    }
    lines.push(`${DARK_ON_LIGHT}${line}${RESET}`);
  }
  return lines;
}

/** `text` as a QR code for a terminal (error correction M, as the web UI's). */
export function terminalQr(text: string): string {
  return `${terminalQrLines(encodeQr(text, { level: 'M' })).join('\n')}\n`;
}
