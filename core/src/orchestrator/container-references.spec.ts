import { describe, expect, it } from 'vitest';
import { allowedReferences } from '../manifest/index.js';
import type { ContainerCreateSpec } from '../podman/index.js';
import { substitutePlain, withResolvedReferences, type ReferenceEffects } from './container-references.js';
import { deviceHostname } from './device-hostname.js';

const values = {
  what: "'demo'",
  allowed: allowedReferences(['bitcoin-node']),
  plain: {
    ARCHY_APP_ID: 'demo',
    ARCHY_DEVICE_HOSTNAME: 'node.local',
    ARCHY_DEP_BITCOIN_NODE_HOST: 'bitcoin-node',
    ARCHY_DEP_BITCOIN_NODE_RPC_PORT: '8332',
    ARCHY_DEP_BITCOIN_NODE_RPC_USER: 'archy-demo',
  },
};

const PASSWORD_FILE = '/run/secrets/bitcoin-node-rpc-password';

/** Effects that record what was asked of them. */
function effects(image = { entrypoint: ['/entry'], cmd: ['serve', '--x'] }) {
  const asked = { secrets: [] as string[], image: 0 };
  const fx: ReferenceEffects = {
    secretFiles: async (names) => {
      asked.secrets.push(...names);
      return Object.fromEntries(names.map((name) => [name, PASSWORD_FILE]));
    },
    imageArgv: async () => {
      asked.image += 1;
      return image;
    },
  };
  return { fx, asked };
}

const spec = (fields: Partial<ContainerCreateSpec>): ContainerCreateSpec => ({
  name: 'archy-demo',
  image: 'registry.example/demo:1.0.0',
  ...fields,
});

describe('plain references', () => {
  it('are replaced by their values; every other $ stays as written', () => {
    expect(
      substitutePlain(
        'http://${ARCHY_DEP_BITCOIN_NODE_HOST}:${ARCHY_DEP_BITCOIN_NODE_RPC_PORT} $x ${y:-z} $$',
        values,
        'env A',
      ),
    ).toEqual([{ literal: 'http://bitcoin-node:8332 $x ${y:-z} $$' }]);
  });

  it('substitute env, command and entrypoint without wrapping anything', async () => {
    const { fx, asked } = effects();
    const resolved = await withResolvedReferences(
      spec({
        env: {
          RPC_USER: '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}',
          HOST: '${ARCHY_DEVICE_HOSTNAME}',
          KEEP: '$HOME',
        },
        command: ['--id=${ARCHY_APP_ID}'],
        entrypoint: ['/app'],
      }),
      values,
      fx,
    );
    expect(resolved.env).toEqual({ RPC_USER: 'archy-demo', HOST: 'node.local', KEEP: '$HOME' });
    expect(resolved.command).toEqual(['--id=demo']);
    expect(resolved.entrypoint).toEqual(['/app']);
    expect(asked).toEqual({ secrets: [], image: 0 });
  });

  it('refuse a name without a value, saying where', async () => {
    await expect(
      withResolvedReferences(
        spec({ env: { Z: '${ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWTX}' } }),
        values,
        effects().fx,
      ),
    ).rejects.toThrow(
      /'demo' references \$\{ARCHY_DEP_BITCOIN_NODE_ZMQ_RAWTX\} in env Z, which has no value/,
    );
  });

  it('leave a spec without references as it is (shell ${ARCHY_X:-y} is not one)', async () => {
    const original = spec({ env: { A: 'b' }, command: ['sh', '-c', 'echo ${ARCHY_DEP_X:-none}'] });
    expect(await withResolvedReferences(spec({ env: { A: 'b' } }), values, effects().fx)).toEqual(
      spec({ env: { A: 'b' } }),
    );
    expect(await withResolvedReferences(original, values, effects().fx)).toEqual(original);
  });
});

describe('secret references', () => {
  const secretRef = '${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}';

  it('leave no value in the spec: the env value moves into the prelude, the argv is wrapped', async () => {
    const { fx, asked } = effects();
    const resolved = await withResolvedReferences(
      spec({
        env: { RPC_PASS: secretRef, RPC_USER: '${ARCHY_DEP_BITCOIN_NODE_RPC_USER}' },
        entrypoint: ['/app'],
        command: [`--rpcpassword=${secretRef}`, "it's"],
      }),
      values,
      fx,
    );
    expect(resolved.env).toEqual({ RPC_USER: 'archy-demo' });
    expect(resolved.command).toEqual([]);
    expect(resolved.entrypoint).toEqual([
      '/bin/sh',
      '-c',
      `ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD="$(cat '${PASSWORD_FILE}')" || exit 1; ` +
        'RPC_PASS="${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}"; export RPC_PASS; ' +
        `exec '/app' '--rpcpassword='"\${ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD}" 'it'\\''s'`,
      'archy-secret-refs',
    ]);
    expect(asked).toEqual({ secrets: ['ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD'], image: 0 });
  });

  it("wrap the image's own entrypoint and cmd when the manifest names neither", async () => {
    const { fx, asked } = effects();
    const resolved = await withResolvedReferences(spec({ env: { P: secretRef } }), values, fx);
    expect(resolved.entrypoint![2]).toMatch(/; exec '\/entry' 'serve' '--x'$/);
    expect(asked.image).toBe(1);
  });

  it("take the image's entrypoint but the manifest's command; a manifest entrypoint drops the image's cmd", async () => {
    const command = await withResolvedReferences(
      spec({ command: [`-p=${secretRef}`] }),
      values,
      effects().fx,
    );
    expect(command.entrypoint![2]).toMatch(
      /; exec '\/entry' '-p='"\$\{ARCHY_DEP_BITCOIN_NODE_RPC_PASSWORD\}"$/,
    );
    const entry = await withResolvedReferences(
      spec({ entrypoint: [`/run-me`], env: { P: secretRef } }),
      values,
      effects().fx,
    );
    expect(entry.entrypoint![2]).toMatch(/; exec '\/run-me'$/);
  });

  it('refuse when nothing names a command to wrap', async () => {
    await expect(
      withResolvedReferences(
        spec({ env: { P: secretRef } }),
        values,
        effects({ entrypoint: [], cmd: [] }).fx,
      ),
    ).rejects.toThrow(/add command: to the manifest/);
  });
});

describe('deviceHostname', () => {
  it('adds .local to a bare host name and keeps one with a domain', () => {
    expect(deviceHostname('Archipelago')).toBe('archipelago.local');
    expect(deviceHostname('node.example.lan.')).toBe('node.example.lan');
  });
});
