import { describe, expect, it } from 'vitest';
import { ArchyError, RpcErrorCode } from '../../kernel/index.js';
import { buildSimpleSigningPayload, parseSimpleSigningPayload } from './simple-signing.js';
import {
  createSigningKeyPair,
  loadSigningKey,
  loadVerificationKey,
  signPayload,
  verifyPayloadSignature,
} from './signing-keys.js';
import { generateKeyPairSync } from 'node:crypto';

/**
 * Made by real cosign (key-pair signing of registry-testing.svc.lan/busybox); the key, payload
 * and signature are published in sigstore-rs's test suite, read back from a registry with
 * `cosign triangulate` and `crane`. Proves we accept what cosign writes and that our payload
 * bytes are byte-for-byte cosign's.
 */
const COSIGN_VECTOR = {
  publicKeyPem: [
    '-----BEGIN PUBLIC KEY-----',
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELKhD7F5OKy77Z582Y6h0u1J3GNA+',
    'kvUsh4eKpd1lwkDAzfFDs7yXEExsEkPPuiQJBelDT68n7PDIWB/QEY7mrA==',
    '-----END PUBLIC KEY-----',
    '',
  ].join('\n'),
  dockerReference: 'registry-testing.svc.lan/busybox',
  manifestDigest: 'sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b',
  payload:
    '{"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},' +
    '"image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},' +
    '"type":"cosign container image signature"},"optional":null}',
  signature:
    'MEYCIQDWWxPQa3XFUsPbyTY+n+bZu/6Pwhg5WwyYDQtEfQho9wIhAPkKW7eub8b7BX+YbbRac8TwwIrK5KxvdtQ6NuoD+ivW',
} as const;

/**
 * A key pair generated once with node:crypto, and signatures of its payload in both encodings:
 * DER (what cosign writes) and raw r‖s (what some KMS/WebCrypto signers give).
 */
const OUR_VECTOR = {
  publicKeyPem: [
    '-----BEGIN PUBLIC KEY-----',
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwt35KuPKn6ZL48sXxw5oh/DShUAR',
    'ShA5TVkRbDLjwZ9GTY0KfqJQwymFl1ZlADqdwYhjnUwRifw4pC/WYT1Kxw==',
    '-----END PUBLIC KEY-----',
    '',
  ].join('\n'),
  keyId: 'ce39372bf8ce9381adcf10aaa9d4c4fd3a96bf68665430781803b7e836644852',
  dockerReference: '127.0.0.1:5000/apps/hello',
  manifestDigest: 'sha256:efaa2a23b1997aa8a93eb36e0389c7cff8cefdb8ec2874972968094508abc481',
  payload:
    '{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/apps/hello"},' +
    '"image":{"docker-manifest-digest":"sha256:efaa2a23b1997aa8a93eb36e0389c7cff8cefdb8ec2874972968094508abc481"},' +
    '"type":"cosign container image signature"},"optional":null}',
  derSignature:
    'MEQCIBoyrUfs/DG/qM1mc/m61ErU0BfE7FREcq8FQXwyjlT/AiB2Q1hz0tsQXUEWOpLHMbh5vB//WEMLb316dLMR7Rxk4w==',
  rawSignature: 'LLY9d7ib3qrMRq44AwpkFXpVPsDRvP+BvDC5WBcSp63hJvd6np0vLH/NJ3zyZ7Etvzmy3wwWpQLuk5RtfP8Mhw==',
} as const;

describe('simple-signing payload', () => {
  it('is byte-for-byte the payload cosign signs', () => {
    const built = buildSimpleSigningPayload(COSIGN_VECTOR.dockerReference, COSIGN_VECTOR.manifestDigest);
    expect(built.toString('utf8')).toBe(COSIGN_VECTOR.payload);
    expect(buildSimpleSigningPayload(OUR_VECTOR.dockerReference, OUR_VECTOR.manifestDigest).toString()).toBe(
      OUR_VECTOR.payload,
    );
  });

  it('parses back to the claims it was built from', () => {
    const parsed = parseSimpleSigningPayload(Buffer.from(COSIGN_VECTOR.payload));
    expect(parsed).toEqual({
      ok: true,
      claims: {
        dockerReference: COSIGN_VECTOR.dockerReference,
        manifestDigest: COSIGN_VECTOR.manifestDigest,
        optional: null,
      },
    });
  });

  it('keeps cosign annotations in "optional"', () => {
    const withAnnotations = COSIGN_VECTOR.payload.replace('"optional":null', '"optional":{"git":"abc"}');
    const parsed = parseSimpleSigningPayload(Buffer.from(withAnnotations));
    expect(parsed.ok && parsed.claims.optional).toEqual({ git: 'abc' });
  });

  it.each([
    ['not JSON', 'nope{', /not JSON/],
    ['an array', '[]', /no "critical"/],
    ['no critical', '{"optional":null}', /no "critical"/],
    [
      'another type',
      COSIGN_VECTOR.payload.replace('cosign container image signature', 'atomic container signature'),
      /critical\.type/,
    ],
    [
      'no identity',
      COSIGN_VECTOR.payload.replace(
        '"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},',
        '',
      ),
      /docker-reference/,
    ],
    [
      'empty identity',
      COSIGN_VECTOR.payload.replace('registry-testing.svc.lan/busybox', ''),
      /docker-reference/,
    ],
    ['a short digest', COSIGN_VECTOR.payload.replace('f3cfc9d0', 'f3'), /docker-manifest-digest/],
    ['an uppercase digest', COSIGN_VECTOR.payload.replace('f3cfc9d0', 'F3CFC9D0'), /docker-manifest-digest/],
    ['a sha512 digest', COSIGN_VECTOR.payload.replace('sha256:', 'sha512:'), /docker-manifest-digest/],
    ['optional as a string', COSIGN_VECTOR.payload.replace('"optional":null', '"optional":"x"'), /optional/],
  ])('refuses a payload that is %s', (_what, text, problem) => {
    const parsed = parseSimpleSigningPayload(Buffer.from(text));
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(problem);
  });
});

describe('ECDSA P-256 signatures', () => {
  it('verifies a signature made by real cosign', () => {
    const { key } = loadVerificationKey(COSIGN_VECTOR.publicKeyPem);
    expect(verifyPayloadSignature(key, Buffer.from(COSIGN_VECTOR.payload), COSIGN_VECTOR.signature)).toBe(
      true,
    );
  });

  it('verifies a known DER signature and names the key by its SPKI SHA-256', () => {
    const { key, keyId } = loadVerificationKey(OUR_VECTOR.publicKeyPem);
    expect(keyId).toBe(OUR_VECTOR.keyId);
    expect(verifyPayloadSignature(key, Buffer.from(OUR_VECTOR.payload), OUR_VECTOR.derSignature)).toBe(true);
  });

  it('also accepts the raw r‖s encoding of the same signature', () => {
    const { key } = loadVerificationKey(OUR_VECTOR.publicKeyPem);
    expect(Buffer.from(OUR_VECTOR.rawSignature, 'base64')).toHaveLength(64);
    expect(verifyPayloadSignature(key, Buffer.from(OUR_VECTOR.payload), OUR_VECTOR.rawSignature)).toBe(true);
  });

  it('rejects a signature over other bytes, by another key, or garbled', () => {
    const ours = loadVerificationKey(OUR_VECTOR.publicKeyPem).key;
    const cosigns = loadVerificationKey(COSIGN_VECTOR.publicKeyPem).key;
    const payload = Buffer.from(OUR_VECTOR.payload);
    const tampered = Buffer.from(OUR_VECTOR.payload.replace('efaa2a23', 'efaa2a24'));
    expect(verifyPayloadSignature(ours, tampered, OUR_VECTOR.derSignature)).toBe(false);
    expect(verifyPayloadSignature(ours, tampered, OUR_VECTOR.rawSignature)).toBe(false);
    expect(verifyPayloadSignature(cosigns, payload, OUR_VECTOR.derSignature)).toBe(false);
    // A raw signature must be exactly 64 bytes; a truncated one is not tried as raw.
    const der = Buffer.from(OUR_VECTOR.derSignature, 'base64');
    expect(verifyPayloadSignature(ours, payload, der.subarray(0, 64).toString('base64'))).toBe(false);
    const flipped = Buffer.from(der);
    flipped.writeUInt8(flipped.readUInt8(der.length - 1) ^ 1, der.length - 1);
    expect(verifyPayloadSignature(ours, payload, flipped.toString('base64'))).toBe(false);
    for (const junk of ['', '!!!!', 'not base64 at all', `${OUR_VECTOR.derSignature}junk`])
      expect(verifyPayloadSignature(ours, payload, junk)).toBe(false);
  });

  it('signs in DER that verifies, and differs each time (ECDSA is randomised)', () => {
    const pair = createSigningKeyPair();
    const privateKey = loadSigningKey(pair.privateKeyPem);
    const { key, keyId } = loadVerificationKey(pair.publicKeyPem);
    expect(keyId).toBe(pair.keyId);
    const payload = Buffer.from(OUR_VECTOR.payload);
    const a = signPayload(privateKey, payload);
    const b = signPayload(privateKey, payload);
    expect(a).not.toBe(b);
    // DER: a SEQUENCE (0x30) of two INTEGERs.
    expect(Buffer.from(a, 'base64')[0]).toBe(0x30);
    expect(verifyPayloadSignature(key, payload, a)).toBe(true);
    expect(verifyPayloadSignature(key, payload, b)).toBe(true);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('refuses keys that are not P-256 or not PEM, saying what to use', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const cases = [
      () => loadVerificationKey(rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      () => loadVerificationKey(p384.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      () => loadVerificationKey('hello'),
      () => loadSigningKey(p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ];
    for (const attempt of cases) {
      expect(attempt).toThrow(ArchyError);
      expect(attempt).toThrow(/P-256|PEM/);
    }
    expect(() =>
      loadSigningKey(
        '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nxx\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n',
      ),
    ).toThrow(/cosign's encrypted key format.*archy image keygen/);
    try {
      loadVerificationKey('hello');
    } catch (err) {
      expect((err as ArchyError).code).toBe(RpcErrorCode.InvalidParams);
    }
  });
});
