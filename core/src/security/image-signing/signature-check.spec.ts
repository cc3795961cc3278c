import { describe, expect, it } from 'vitest';
import type { Digest } from './digest.js';
import { buildSimpleSigningPayload } from './simple-signing.js';
import { evaluateSignatures, type CandidateSignature } from './signature-check.js';
import { signatureLayerDescriptor } from './signature-manifest.js';
import { createSigningKeyPair, loadSigningKey, loadVerificationKey, signPayload } from './signing-keys.js';

const REPO = '127.0.0.1:5000/apps/hello';
const DIGEST = `sha256:${'a'.repeat(64)}` as Digest;
const OTHER = `sha256:${'c'.repeat(64)}` as Digest;
const trusted = createSigningKeyPair();
const stranger = createSigningKeyPair();
const trustedKeys = [loadVerificationKey(trusted.publicKeyPem)];
const expected = { manifestDigest: DIGEST, repositoryName: REPO };

function candidate(pem: string, payload: Buffer, signedBytes: Buffer = payload): CandidateSignature {
  const signature = signPayload(loadSigningKey(pem), signedBytes);
  const descriptor = signatureLayerDescriptor(payload, signature);
  return { layer: { payload: descriptor, signature }, payload };
}

describe('signature decisions', () => {
  it('accept a trusted signature naming this digest and repository', () => {
    const verdict = evaluateSignatures(
      [candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST))],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({
      accepted: true,
      keyId: trusted.keyId,
      claims: { manifestDigest: DIGEST },
    });
  });

  it('refuse when there are no signatures at all', () => {
    expect(evaluateSignatures([], expected, trustedKeys)).toMatchObject({
      accepted: false,
      reason: 'unsigned',
    });
  });

  it('refuse a valid signature by an untrusted key', () => {
    const verdict = evaluateSignatures(
      [candidate(stranger.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST))],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'untrusted' });
    expect(!verdict.accepted && verdict.detail).toMatch(/signed, but not by a trusted key/);
  });

  it('refuse a trusted signature whose payload was edited afterwards', () => {
    const signed = buildSimpleSigningPayload(REPO, OTHER);
    const edited = buildSimpleSigningPayload(REPO, DIGEST);
    const verdict = evaluateSignatures(
      [candidate(trusted.privateKeyPem, edited, signed)],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'untrusted' });
  });

  it('refuse a trusted signature of another digest (digest mismatch)', () => {
    const verdict = evaluateSignatures(
      [candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, OTHER))],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'digest-mismatch' });
    expect(!verdict.accepted && verdict.detail).toContain(OTHER);
  });

  it('refuse a trusted signature made for another repository', () => {
    const verdict = evaluateSignatures(
      [candidate(trusted.privateKeyPem, buildSimpleSigningPayload('127.0.0.1:5000/apps/evil', DIGEST))],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'identity-mismatch' });
  });

  it('refuse a trusted signature over a malformed payload', () => {
    const verdict = evaluateSignatures(
      [candidate(trusted.privateKeyPem, Buffer.from('{"critical":1}'))],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'malformed' });
  });

  it('accept when one of several signatures is trusted and good, whatever the order', () => {
    const good = candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST));
    const foreign = candidate(stranger.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST));
    const stale = candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, OTHER));
    const unreadable: CandidateSignature = { layer: good.layer, payload: { error: 'blob missing' } };
    for (const order of [
      [foreign, stale, unreadable, good],
      [good, foreign],
      [unreadable, good],
    ])
      expect(evaluateSignatures(order, expected, trustedKeys)).toMatchObject({
        accepted: true,
        keyId: trusted.keyId,
      });
  });

  it('refuse layers without a signature annotation, and say which payloads could not be read', () => {
    const good = candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST));
    const unsigned: CandidateSignature = {
      layer: { ...good.layer, signature: undefined },
      payload: good.payload,
    };
    const unreadable: CandidateSignature = { layer: good.layer, payload: { error: 'blob missing' } };
    const verdict = evaluateSignatures([unsigned, unreadable], expected, trustedKeys);
    expect(verdict).toMatchObject({ accepted: false, reason: 'untrusted' });
    expect(!verdict.accepted && verdict.detail).toMatch(/1 payload\(s\) could not be read: blob missing/);
  });

  it('trust nothing when no keys are trusted', () => {
    const good = candidate(trusted.privateKeyPem, buildSimpleSigningPayload(REPO, DIGEST));
    expect(evaluateSignatures([good], expected, [])).toMatchObject({ accepted: false, reason: 'untrusted' });
  });
});
