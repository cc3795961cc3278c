import { describe, expect, it } from 'vitest';
import { envelopeSigner, pae, parseEnvelope, signEnvelope, type DsseEnvelope } from './dsse.js';
import { createSigningKeyPair, loadSigningKey, loadVerificationKey, signPayload } from './signing-keys.js';

const TYPE = 'application/vnd.in-toto+json';
const signer = createSigningKeyPair();
const other = createSigningKeyPair();
const key = loadSigningKey(signer.privateKeyPem);
const trusted = [loadVerificationKey(signer.publicKeyPem)];

const envelopeOf = (bytes: Buffer) => JSON.parse(bytes.toString()) as DsseEnvelope;
const bytesOf = (envelope: DsseEnvelope) => Buffer.from(JSON.stringify(envelope));
const parsed = (bytes: Buffer) => {
  const result = parseEnvelope(bytes);
  if (!result.ok) throw new Error(result.problem);
  return result.envelope;
};

describe('PAE', () => {
  it('matches the test vector of the DSSE specification (protocol.md)', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    expect(pae('tÿpe', Buffer.from('é')).toString('utf8')).toBe('DSSEv1 5 tÿpe 2 é');
    expect(pae('', Buffer.alloc(0)).toString()).toBe('DSSEv1 0  0 ');
  });
});

describe('envelopes', () => {
  const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}');

  it('are written as cosign writes them and verify with the signing key only', () => {
    const bytes = signEnvelope(key, TYPE, payload);
    const envelope = envelopeOf(bytes);
    expect(Object.keys(envelope)).toEqual(['payloadType', 'payload', 'signatures']);
    expect(envelope).toMatchObject({ payloadType: TYPE, payload: payload.toString('base64') });
    expect(envelope.signatures).toEqual([{ keyid: '', sig: expect.stringMatching(/^ME[QUY]/) }]);
    expect(parsed(bytes).payload.equals(payload)).toBe(true);
    expect(envelopeSigner(parsed(bytes), trusted)?.keyId).toBe(signer.keyId);
    expect(envelopeSigner(parsed(bytes), [loadVerificationKey(other.publicKeyPem)])).toBeUndefined();
  });

  it('do not verify once the payload or the payload type is changed', () => {
    const envelope = envelopeOf(signEnvelope(key, TYPE, payload));
    const edited = { ...envelope, payload: Buffer.from('{"_type":"x"}').toString('base64') };
    expect(envelopeSigner(parsed(bytesOf(edited)), trusted)).toBeUndefined();
    const retyped = { ...envelope, payloadType: 'application/json' };
    expect(envelopeSigner(parsed(bytesOf(retyped)), trusted)).toBeUndefined();
  });

  it('do not verify a signature over the bare payload (it must be over PAE)', () => {
    const bare: DsseEnvelope = {
      payloadType: TYPE,
      payload: payload.toString('base64'),
      signatures: [{ keyid: '', sig: signPayload(key, payload) }],
    };
    expect(envelopeSigner(parsed(bytesOf(bare)), trusted)).toBeUndefined();
  });

  it('one good signature among several is enough', () => {
    const envelope = envelopeOf(signEnvelope(key, TYPE, payload));
    const strangerSig = envelopeOf(signEnvelope(loadSigningKey(other.privateKeyPem), TYPE, payload))
      .signatures[0]!;
    envelope.signatures = [strangerSig, { keyid: 'junk', sig: '!!' }, ...envelope.signatures];
    expect(envelopeSigner(parsed(bytesOf(envelope)), trusted)?.keyId).toBe(signer.keyId);
  });

  it('accept URL-safe base64 payloads, as DSSE allows', () => {
    const odd = Buffer.from([0xfb, 0xff, 0xfe, 0x3e]);
    const envelope = envelopeOf(signEnvelope(key, TYPE, odd));
    envelope.payload = odd.toString('base64url');
    expect(parsed(bytesOf(envelope)).payload.equals(odd)).toBe(true);
    expect(envelopeSigner(parsed(bytesOf(envelope)), trusted)).toBeDefined();
  });

  it('are refused when not shaped like DSSE', () => {
    const good = envelopeOf(signEnvelope(key, TYPE, payload));
    const problem = (value: unknown) => {
      const result = parseEnvelope(Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
      return result.ok ? 'ok' : result.problem;
    };
    expect(problem('not json')).toMatch(/not JSON/);
    expect(problem([good])).toMatch(/not a JSON object/);
    expect(problem({ ...good, payloadType: '' })).toMatch(/no payloadType/);
    expect(problem({ ...good, payload: 'a*b=' })).toMatch(/not base64/);
    expect(problem({ ...good, payload: 'abcde' })).toMatch(/not base64/);
    expect(problem({ ...good, signatures: [] })).toMatch(/no signatures/);
    expect(problem({ ...good, signatures: [{ keyid: '' }] })).toMatch(/no "sig"/);
    expect(problem(good)).toBe('ok');
  });
});
