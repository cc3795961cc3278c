// Copying text for the user. The Clipboard API exists only in secure contexts (https, localhost),
// and a node's UI is often opened over plain http at its LAN address — there the browser refuses
// it, so the text goes through a hidden, selected textarea and the older copy command instead.

export interface ClipboardHost {
  clipboard?: { writeText(text: string): Promise<void> } | undefined;
  document: Pick<Document, 'createElement' | 'execCommand' | 'body' | 'activeElement'>;
}

/** Copies `text`; resolves false (nothing thrown) when the browser allowed neither way. */
export async function copyText(text: string, host: ClipboardHost = browserHost()): Promise<boolean> {
  if (host.clipboard) {
    try {
      await host.clipboard.writeText(text);
      return true;
    } catch {
      // Not allowed here (permissions, an insecure origin): try the selection instead.
    }
  }
  const { document } = host;
  const previous = document.activeElement as HTMLElement | null;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  // Off screen, yet selectable (display:none would not copy); no zoom on iOS (16 px).
  area.style.cssText = 'position:fixed;top:0;left:-9999px;opacity:0;font-size:16px';
  document.body.append(area);
  try {
    area.select();
    area.setSelectionRange(0, text.length);
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
    previous?.focus?.();
  }
}

function browserHost(): ClipboardHost {
  return {
    clipboard: window.isSecureContext ? navigator.clipboard : undefined,
    document,
  };
}
