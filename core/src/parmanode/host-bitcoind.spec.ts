import { describe, expect, it } from 'vitest';
import { rpcSettings } from './host-bitcoind.js';

describe('rpcSettings', () => {
  const conf =
    'server=1\ndaemon=1\nrpcport=8332\nrpcuser=parman\nrpcpassword=parman\n[regtest]\nrpcport=18555\n';

  it("reads Parmanode's rpcuser/rpcpassword and the mainnet port at the top level", () => {
    expect(rpcSettings(conf, 'mainnet')).toEqual({ port: 8332, user: 'parman', password: 'parman' });
  });

  it("takes a network's own rpcport, and ignores a top-level one off mainnet as bitcoind does", () => {
    expect(rpcSettings(conf, 'regtest').port).toBe(18555);
    expect(rpcSettings('rpcport=9999\n', 'signet').port).toBe(38332);
  });

  it('has no password when none is set (the cookie is used then)', () => {
    expect(rpcSettings('', 'mainnet')).toEqual({ port: 8332 });
  });

  it("takes the running bitcoind's -rpcport over the file's", () => {
    expect(rpcSettings(conf, 'regtest', ['bitcoind', '-datadir=/x', '-rpcport=40000']).port).toBe(40000);
  });
});
