// What a provider exports per interface it provides (`exports:`), and the dependent's
// `rpcMethods`. Kept beside schema.ts rather than in it: the cross-field rules here (an export
// names an interface the app provides, a file lives in one of the app's volumes) read only the
// finished manifest, and the interfaces module is the only reader of the values.

import { z } from 'zod';
import { describeValue, expected } from './messages.js';
import { port } from './port-schema.js';
import { staysInside } from './relative-path.js';
import type { ExportsSpec, VolumeSpec } from './types.js';

/** The interface kinds whose exports the daemon understands (credentials, ZMQ, lndconnect). */
export const KNOWN_INTERFACE_KINDS = ['bitcoin-node', 'lightning-node'] as const;

export const ZMQ_TOPICS = ['rawblock', 'rawtx', 'hashblock', 'sequence'] as const;

const VOLUME_FILE_WORDS = 'a path relative to the volume, such as "tls.cert"';
/** A file inside one of the app's volumes: relative, no `..`, no empty or hidden-by-backslash parts. */
const volumePath = z.string(expected(VOLUME_FILE_WORDS)).check((ctx) => {
  const value = ctx.value;
  if (!staysInside(value, { allowDot: false }))
    ctx.issues.push({
      code: 'custom',
      message: `expected ${VOLUME_FILE_WORDS} (relative, no '.' or '..', no empty parts), got ${describeValue(value)}`,
      input: value,
    });
});

const volumeFile = z.strictObject(
  { volume: z.string(expected('the name of one of the app’s volumes')), path: volumePath },
  expected('a mapping such as { volume: lnd, path: tls.cert }'),
);

const bitcoinNodeExports = z.strictObject(
  {
    rpcPort: port.optional(),
    p2pPort: port.optional(),
    zmq: z
      .strictObject(
        {
          rawblock: port.optional(),
          rawtx: port.optional(),
          hashblock: port.optional(),
          sequence: port.optional(),
        },
        expected('a mapping of topics to ports such as { rawblock: 28332, rawtx: 28333 }'),
      )
      .superRefine((zmq, ctx) => {
        const seen = new Map<number, string>();
        for (const topic of ZMQ_TOPICS) {
          const value = zmq[topic];
          if (value === undefined) continue;
          const first = seen.get(value);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [topic],
              message: `port ${value} is already the ${first} port; give each ZMQ topic its own port`,
            });
          } else seen.set(value, topic);
        }
      })
      .optional(),
  },
  expected('a mapping such as { rpcPort: 8332, zmq: { rawblock: 28332 } }'),
);

const lightningNodeExports = z
  .strictObject(
    {
      grpcPort: port.optional(),
      restPort: port.optional(),
      tlsCert: volumeFile.optional(),
      credential: z
        .strictObject(
          {
            kind: z.enum(['macaroon', 'rune']),
            volume: z.string(expected('the name of one of the app’s volumes')),
            path: volumePath,
          },
          expected('a mapping such as { kind: macaroon, volume: lnd, path: admin.macaroon }'),
        )
        .optional(),
    },
    expected('a mapping such as { grpcPort: 10009, restPort: 8080, tlsCert: {...}, credential: {...} }'),
  )
  .superRefine((spec, ctx) => {
    if (spec.grpcPort === undefined && spec.restPort === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'names no endpoint: add grpcPort:, restPort: or both',
      });
    }
  });

/** Any other interface exports one port only: what a dependent connects to. */
const otherExports = z.strictObject({ port }, expected('a mapping such as { port: 50001 }'));

/**
 * `exports:` as written: the known kinds by name, any other interface as `{ port }`. Keys must
 * also be interfaces the app provides (checkExports, which sees the whole manifest).
 */
export const exportsSchema = z
  .strictObject(
    { 'bitcoin-node': bitcoinNodeExports.optional(), 'lightning-node': lightningNodeExports.optional() },
    expected('a mapping of interface names to what they export'),
  )
  .catchall(otherExports);

export const rpcMethodsSchema = z
  .array(
    z
      .string(expected('an RPC method name such as getblockchaininfo'))
      .regex(/^[a-z][a-z0-9_]{0,63}$/, expected('an RPC method name such as getblockchaininfo')),
    expected('a list of RPC method names such as [getblockchaininfo, getblock]'),
  )
  .min(1, { error: 'lists no method: remove rpcMethods to allow every method, or name the ones needed' })
  .superRefine((list, ctx) => {
    list.forEach((method, index) => {
      if (list.indexOf(method) !== index) {
        ctx.addIssue({ code: 'custom', path: [index], message: `'${method}' is listed twice; list it once` });
      }
    });
  });

type IssueSink = { addIssue(issue: { code: 'custom'; path: PropertyKey[]; message: string }): void };

/**
 * The rules that need the whole manifest: every export names an interface the app provides,
 * every file lives in one of the app's volumes, and a bitcoin-node export belongs to an app with
 * a `bitcoin:` block (the daemon hands its RPC logins to bitcoind).
 */
export function checkExports(
  manifest: {
    exports?: ExportsSpec;
    provides: readonly string[];
    volumes: readonly VolumeSpec[];
    bitcoin?: unknown;
  },
  ctx: IssueSink,
): void {
  const exports = manifest.exports;
  if (!exports) return;
  const volumeNames = new Set(manifest.volumes.map((volume) => volume.name));
  for (const name of Object.keys(exports)) {
    if (!manifest.provides.includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', name],
        message: `exports '${name}', which the app does not provide; add it to provides: or remove this export`,
      });
    }
  }
  const bitcoinNode = exports['bitcoin-node'];
  if (bitcoinNode && manifest.bitcoin === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['exports', 'bitcoin-node'],
      message:
        'a bitcoin-node export needs the bitcoin: block (the daemon passes each dependent’s RPC login to bitcoind); add one',
    });
  }
  const lightning = exports['lightning-node'];
  for (const key of ['tlsCert', 'credential'] as const) {
    const file = lightning?.[key];
    if (file && !volumeNames.has(file.volume)) {
      const known = [...volumeNames].map((v) => `'${v}'`).join(', ');
      ctx.addIssue({
        code: 'custom',
        path: ['exports', 'lightning-node', key, 'volume'],
        message: `'${file.volume}' is not one of the app's volumes (${known || 'it has none'}); name a volume listed under volumes:`,
      });
    }
  }
}
