import { afterEach, describe, expect, it } from 'vitest';
import { SessionToken } from './session-token';

// Real BroadcastChannels (Node's, same as a browser's within one origin) and sessionStorage stand-ins.

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

const channels: BroadcastChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) channel.close();
});

/** One browser tab: its own sessionStorage, a channel on the shared name. */
function tab(name = 'archipelago.session'): { token: SessionToken; storage: MemoryStorage } {
  const channel = new BroadcastChannel(name);
  channels.push(channel);
  const storage = new MemoryStorage();
  return { token: new SessionToken({ storage, channel }), storage };
}

describe('SessionToken', () => {
  it('keeps the token in sessionStorage, so a reload of the tab still has it', () => {
    const first = tab('reload');
    first.token.start('csrf-a');
    const reloaded = new SessionToken({ storage: first.storage, channel: undefined });
    expect(reloaded.get()).toBe('csrf-a');
  });

  it('a new tab borrows the token from an open tab; with none open it gets nothing', async () => {
    const lonely = tab('none-open');
    expect(await lonely.token.borrow(50)).toBeUndefined();

    const open = tab('one-open');
    open.token.start('csrf-b');
    const fresh = tab('one-open');
    expect(await fresh.token.borrow(2000)).toBe('csrf-b');
    expect(fresh.storage.getItem('archipelago.csrf-token')).toBe('csrf-b');
  });

  it("a login elsewhere replaces the other tabs' token; a logout ends it everywhere", async () => {
    const a = tab('replace');
    const b = tab('replace');
    const seen: (string | undefined)[] = [];
    a.token.onChange = (token) => seen.push(token);
    a.token.start('csrf-old');
    b.token.start('csrf-new');
    await expect.poll(() => a.token.get()).toBe('csrf-new');
    b.token.end();
    await expect.poll(() => a.token.get()).toBeUndefined();
    expect(seen).toEqual(['csrf-new', undefined]);
  });
});
