import { describe, expect, it } from 'vitest';
import { argsForCreate, commandCarries, firstStartArgsStep } from './first-start-args.js';

const reindex = { args: ['-reindex-chainstate'], spent: false };
const command = ['bitcoind', '-datadir=/data', '-regtest', '-reindex-chainstate'];

describe('one-time start arguments', () => {
  it('are given to a (re)created container only until they are spent', () => {
    expect(argsForCreate(undefined)).toEqual([]);
    expect(argsForCreate(reindex)).toEqual(['-reindex-chainstate']);
    expect(argsForCreate({ ...reindex, spent: true })).toEqual([]);
  });

  it('are found in a command by exact argument, not by prefix', () => {
    expect(commandCarries(command, ['-reindex-chainstate'])).toBe(true);
    expect(commandCarries(command, ['-reindex'])).toBe(false);
    expect(commandCarries(['bitcoind'], ['-reindex'])).toBe(false);
  });

  it('are kept until the app is healthy with them', () => {
    expect(firstStartArgsStep({ pending: undefined, healthy: true, containerCommand: command })).toBe('keep');
    expect(firstStartArgsStep({ pending: reindex, healthy: false, containerCommand: command })).toBe('keep');
  });

  it('make the container be recreated once healthy, or once spent (a daemon restart mid-way)', () => {
    expect(firstStartArgsStep({ pending: reindex, healthy: true, containerCommand: command })).toBe(
      'recreate',
    );
    expect(
      firstStartArgsStep({ pending: { ...reindex, spent: true }, healthy: false, containerCommand: command }),
    ).toBe('recreate');
  });

  it('are forgotten when the container no longer carries them, or is gone', () => {
    const spent = { ...reindex, spent: true };
    expect(firstStartArgsStep({ pending: spent, healthy: false, containerCommand: ['bitcoind'] })).toBe(
      'forget',
    );
    expect(firstStartArgsStep({ pending: spent, healthy: false, containerCommand: undefined })).toBe(
      'forget',
    );
    expect(firstStartArgsStep({ pending: reindex, healthy: true, containerCommand: undefined })).toBe(
      'forget',
    );
  });
});
