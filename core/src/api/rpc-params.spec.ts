import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { describeIssues } from './rpc-dispatcher.js';
import { rpcParamSchemas } from './rpc-params.js';

/** The one-line message a client would get for these params. */
function refusal(schema: { parse(value: unknown): unknown }, params: unknown): string {
  try {
    schema.parse(params);
  } catch (error) {
    if (error instanceof ZodError) return describeIssues(error);
    throw error;
  }
  throw new Error('expected the params to be refused');
}

describe('rpcParamSchemas', () => {
  it('accepts valid app ids and refuses the rest', () => {
    const start = rpcParamSchemas['container-start'];
    for (const id of ['hello', 'bitcoin-core', '0x', 'a'.repeat(63)])
      expect(start.parse({ id })).toEqual({ id });
    for (const id of ['Hello', '-lead', 'a'.repeat(64), 'with space', '', 'dots.no']) {
      expect(refusal(start, { id })).toMatch(/^id: expected an app id: 1-63 lowercase letters/);
    }
  });

  it('says a required param is missing', () => {
    expect(refusal(rpcParamSchemas['container-stop'], {})).toBe('id: missing; expected an app id (a string)');
    expect(refusal(rpcParamSchemas['container-stop'], { id: 3 })).toBe('id: expected an app id (a string)');
  });

  it('refuses unknown params, even on methods that take none', () => {
    expect(refusal(rpcParamSchemas['container-list'], { all: true })).toBe("unknown param 'all'");
    expect(refusal(rpcParamSchemas['container-remove'], { id: 'a', purge: true, yes: true })).toBe(
      "unknown param 'yes'",
    );
    expect(rpcParamSchemas['daemon-info'].parse({})).toEqual({});
  });

  it('bounds tail to 1..10000 whole lines', () => {
    const logs = rpcParamSchemas['container-logs'];
    expect(logs.parse({ id: 'a', tail: 1 })).toEqual({ id: 'a', tail: 1 });
    expect(logs.parse({ id: 'a', tail: 10_000 })).toEqual({ id: 'a', tail: 10_000 });
    expect(logs.parse({ id: 'a' })).toEqual({ id: 'a' });
    expect(refusal(logs, { id: 'a', tail: 0 })).toBe('tail: expected at least 1 line');
    expect(refusal(logs, { id: 'a', tail: 10_001 })).toBe('tail: expected at most 10000 lines');
    expect(refusal(logs, { id: 'a', tail: 2.5 })).toBe('tail: expected a whole number of lines');
    expect(refusal(logs, { id: 'a', tail: '5' })).toBe('tail: expected a whole number of lines');
  });

  it('wants exactly one of id and manifest for container-install', () => {
    const install = rpcParamSchemas['container-install'];
    expect(install.parse({ id: 'hello', version: '1.0.0' })).toEqual({ id: 'hello', version: '1.0.0' });
    expect(install.parse({ manifest: 'id: x', manifestFile: './x.yml' })).toEqual({
      manifest: 'id: x',
      manifestFile: './x.yml',
    });
    expect(refusal(install, {})).toBe("send 'id' (a bundled app) or 'manifest' (YAML text)");
    expect(refusal(install, { id: 'hello', manifest: 'id: hello' })).toBe(
      "send either 'id' (a bundled app) or 'manifest' (YAML text), not both",
    );
    expect(refusal(install, { id: 'hello', manifestFile: 'x.yml' })).toBe(
      "manifestFile: only meaningful together with 'manifest'",
    );
    expect(refusal(install, { id: 'hello', version: '' })).toBe(
      'version: expected a version string such as "1.0.0"',
    );
  });

  it('types purge as a boolean', () => {
    expect(refusal(rpcParamSchemas['container-remove'], { id: 'a', purge: 'yes' })).toBe(
      'purge: expected true or false',
    );
  });

  it('takes provider choices as interface → app id, and nothing else', () => {
    const plan = rpcParamSchemas['package.plan-install'];
    expect(plan.parse({ id: 'lnd', choices: { 'bitcoin-node': 'bitcoin-knots' } })).toEqual({
      id: 'lnd',
      choices: { 'bitcoin-node': 'bitcoin-knots' },
    });
    expect(refusal(plan, { id: 'lnd', choices: { 'bitcoin-node': 'Bitcoin Knots' } })).toBe(
      "choices.bitcoin-node: expected an app id: 1-63 lowercase letters, digits or '-', starting with a letter or digit",
    );
    expect(refusal(plan, { id: 'lnd', choices: ['bitcoin-knots'] })).toBe(
      "choices: expected an object of interface → app id, e.g. { 'bitcoin-node': 'bitcoin-knots' }",
    );
    expect(
      refusal(rpcParamSchemas['package.install'], { id: 'lnd', choices: { 'Bitcoin Node': 'x' } }),
    ).toMatch(/^choices\.Bitcoin Node: expected an interface name/);
  });

  it('has a schema for every method of the contract', () => {
    // The compile-time check in rpc-params.ts is the real guard; this catches a table edited by hand.
    expect(Object.keys(rpcParamSchemas).sort()).toEqual([
      'backup.confirm-key',
      'backup.create',
      'backup.init',
      'backup.key-show',
      'backup.list',
      'backup.restore',
      'backup.restore-plan',
      'backup.schedule',
      'backup.status',
      'backup.verify',
      'catalog-list',
      'catalog.status',
      'container-health',
      'container-install',
      'container-list',
      'container-logs',
      'container-remove',
      'container-restart',
      'container-start',
      'container-status',
      'container-stop',
      'daemon-info',
      'manifest-lint',
      'os.status',
      'os.update',
      'package.adopt',
      'package.connection-info',
      'package.install',
      'package.plan-install',
      'package.plan-version-change',
      'package.release',
      'package.rotate-credentials',
      'package.sbom',
      'package.set-config',
      'package.set-version',
      'package.switch-implementation',
      'package.update',
      'package.versions',
      'resources',
      'tor.onion-add',
      'tor.onion-remove',
      'tor.status',
      'web.remote-access',
      'web.set-password',
      'web.setup-code',
    ]);
  });
});

describe('web.remote-access params', () => {
  it('takes on/off and a new address as booleans, and nothing else', () => {
    const schema = rpcParamSchemas['web.remote-access'];
    expect(schema.parse({})).toEqual({});
    expect(schema.parse({ enabled: true, newAddress: true })).toEqual({ enabled: true, newAddress: true });
    expect(schema.safeParse({ enabled: 'on' }).success).toBe(false);
    expect(schema.safeParse({ url: 'x' }).success).toBe(false);
  });
});
