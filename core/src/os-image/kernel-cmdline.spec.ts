import { describe, expect, it } from 'vitest';
import { otherSlot, slotFromCmdline } from './kernel-cmdline.js';

describe('slotFromCmdline', () => {
  it('reads archy.slot= from a loader entry command line', () => {
    const cmdline =
      'initrd=\\b\\initrd.img root=PARTLABEL=archy-root-b rootfstype=erofs ro archy.slot=b panic=10 console=ttyS0,115200n8\n';
    expect(slotFromCmdline(cmdline)).toBe('b');
    expect(otherSlot('b')).toBe('a');
  });

  it('takes the last one, as the kernel does with repeated parameters', () => {
    expect(slotFromCmdline('archy.slot=a ro archy.slot=b')).toBe('b');
  });

  it('is undefined without a slot, or with one that is not a or b', () => {
    expect(slotFromCmdline('root=/dev/sda1 ro quiet')).toBeUndefined();
    expect(slotFromCmdline('archy.slot=c')).toBeUndefined();
    expect(slotFromCmdline('archy.slot=')).toBeUndefined();
    expect(slotFromCmdline('xarchy.slot=a')).toBeUndefined();
  });
});
