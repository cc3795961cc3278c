import type { OsSlot } from '../kernel/index.js';

/**
 * The root slot the kernel was booted from: `archy.slot=a|b` on the command line, which the
 * loader entries of Archipelago OS carry (design-18). Undefined when there is none (not booted
 * from an Archipelago OS slot) or it names something else.
 */
export function slotFromCmdline(cmdline: string): OsSlot | undefined {
  let slot: string | undefined;
  // The last one wins, as for the kernel's own parameters (an edited entry appends).
  for (const word of cmdline.trim().split(/\s+/)) if (word.startsWith('archy.slot=')) slot = word.slice(11);
  return slot === 'a' || slot === 'b' ? slot : undefined;
}

export const otherSlot = (slot: OsSlot): OsSlot => (slot === 'a' ? 'b' : 'a');
