import { afterEach, describe, expect, it, vi } from 'vitest';
import { copyText, type ClipboardHost } from './clipboard';

// Copying works with the Clipboard API where the browser offers it, and through a selected
// textarea where it does not (plain http at a LAN address): the textarea holds the text when the
// copy command runs, and is gone afterwards.

afterEach(() => {
  document.body.innerHTML = '';
});

function hostWith(clipboard: ClipboardHost['clipboard'], execCommand: (command: string) => boolean) {
  const seen: Array<{ command: string; selected: string }> = [];
  const host: ClipboardHost = {
    clipboard,
    document: {
      createElement: document.createElement.bind(document),
      body: document.body,
      activeElement: document.activeElement,
      execCommand: (command: string) => {
        const area = document.body.querySelector('textarea');
        seen.push({
          command,
          selected: area ? area.value.slice(area.selectionStart, area.selectionEnd) : '',
        });
        return execCommand(command);
      },
    } as ClipboardHost['document'],
  };
  return { host, seen };
}

describe('copyText', () => {
  it('uses the Clipboard API when the browser offers it', async () => {
    const writeText = vi.fn(async () => undefined);
    const { host, seen } = hostWith({ writeText }, () => true);
    expect(await copyText('secret', host)).toBe(true);
    expect(writeText).toHaveBeenCalledWith('secret');
    expect(seen).toEqual([]);
  });

  it('falls back to a selected textarea when there is none, or it refuses', async () => {
    for (const clipboard of [undefined, { writeText: () => Promise.reject(new Error('not allowed')) }]) {
      const { host, seen } = hostWith(clipboard, () => true);
      expect(await copyText('lndconnect://x', host)).toBe(true);
      expect(seen).toEqual([{ command: 'copy', selected: 'lndconnect://x' }]);
      expect(document.body.querySelector('textarea')).toBeNull();
    }
  });

  it('answers false when the browser allows neither', async () => {
    const { host } = hostWith(undefined, () => false);
    expect(await copyText('x', host)).toBe(false);
    const throwing = hostWith(undefined, () => {
      throw new Error('no');
    });
    expect(await copyText('x', throwing.host)).toBe(false);
    expect(document.body.querySelector('textarea')).toBeNull();
  });
});
