import { describe, expect, it } from 'vitest';
import { evaluateAttestations, type CandidateEnvelope } from './attestation-check.js';
import type { Digest } from './digest.js';
import { signEnvelope } from './dsse.js';
import { buildStatement } from './in-toto-statement.js';
import { CYCLONEDX_PREDICATE_TYPE, IN_TOTO_PAYLOAD_TYPE } from './media-types.js';
import { createSigningKeyPair, loadSigningKey, loadVerificationKey } from './signing-keys.js';

const REPO = '127.0.0.1:5000/apps/hello';
const DIGEST = `sha256:${'a'.repeat(64)}` as Digest;
const OTHER = `sha256:${'c'.repeat(64)}` as Digest;
const SLSA = 'https://slsa.dev/provenance/v0.2';
const trusted = createSigningKeyPair();
const stranger = createSigningKeyPair();
const trustedKeys = [loadVerificationKey(trusted.publicKeyPem)];
const expected = { manifestDigest: DIGEST, predicateType: CYCLONEDX_PREDICATE_TYPE };
const bom = (serial: string) => ({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: serial });

function envelope(
  options: {
    pem?: string;
    digest?: Digest;
    type?: string;
    payloadType?: string;
    statement?: Buffer;
    serial?: string;
  } = {},
): CandidateEnvelope {
  const statement =
    options.statement ??
    buildStatement(
      REPO,
      options.digest ?? DIGEST,
      options.type ?? CYCLONEDX_PREDICATE_TYPE,
      bom(options.serial ?? 'a'),
    );
  return signEnvelope(
    loadSigningKey(options.pem ?? trusted.privateKeyPem),
    options.payloadType ?? IN_TOTO_PAYLOAD_TYPE,
    statement,
  );
}

describe('attestation decisions', () => {
  it('accept a trusted envelope whose statement is of this type about this digest', () => {
    const verdict = evaluateAttestations([envelope()], expected, trustedKeys);
    expect(verdict).toMatchObject({
      accepted: true,
      keyId: trusted.keyId,
      statement: {
        _type: 'https://in-toto.io/Statement/v0.1',
        predicateType: CYCLONEDX_PREDICATE_TYPE,
        subject: [{ name: REPO, digest: { sha256: 'a'.repeat(64) } }],
        predicate: bom('a'),
      },
    });
  });

  it('take the newest when there are several (cosign appends)', () => {
    const verdict = evaluateAttestations(
      [envelope({ serial: 'old' }), envelope({ serial: 'new' })],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: true, statement: { predicate: { serialNumber: 'new' } } });
  });

  it('refuse when there is none', () => {
    expect(evaluateAttestations([], expected, trustedKeys)).toMatchObject({
      accepted: false,
      reason: 'no-attestation',
    });
  });

  it('refuse an envelope signed by another key', () => {
    expect(
      evaluateAttestations([envelope({ pem: stranger.privateKeyPem })], expected, trustedKeys),
    ).toMatchObject({
      accepted: false,
      reason: 'attestation-untrusted',
      detail: expect.stringMatching(/none signed by a trusted key \(1 checked/),
    });
  });

  it('refuse a tampered envelope: the trusted signature kept, the statement swapped', () => {
    const genuine = JSON.parse((envelope() as Buffer).toString()) as { payload: string };
    const swapped = buildStatement(REPO, DIGEST, CYCLONEDX_PREDICATE_TYPE, bom('forged'));
    const tampered = Buffer.from(JSON.stringify({ ...genuine, payload: swapped.toString('base64') }));
    expect(evaluateAttestations([tampered], expected, trustedKeys)).toMatchObject({
      reason: 'attestation-untrusted',
    });
  });

  it('refuse a trusted statement about another digest (subject mismatch), even beside other junk', () => {
    const verdict = evaluateAttestations(
      [envelope({ digest: OTHER }), envelope({ pem: stranger.privateKeyPem }), { error: 'HTTP 500' }],
      expected,
      trustedKeys,
    );
    expect(verdict).toMatchObject({ accepted: false, reason: 'attestation-subject-mismatch' });
    expect((verdict as { detail: string }).detail).toContain(
      `its subject is ${OTHER}, but the image is ${DIGEST}`,
    );
  });

  it('do not take another predicate type for the one asked for', () => {
    expect(evaluateAttestations([envelope({ type: SLSA })], expected, trustedKeys)).toMatchObject({
      accepted: false,
      reason: 'no-attestation',
      detail: expect.stringContaining(
        `trusted attestations of ${SLSA}, but none of ${CYCLONEDX_PREDICATE_TYPE}`,
      ),
    });
  });

  it('refuse a trusted envelope whose payload is not an in-toto statement', () => {
    expect(
      evaluateAttestations([envelope({ payloadType: 'application/json' })], expected, trustedKeys),
    ).toMatchObject({
      reason: 'attestation-malformed',
    });
    expect(
      evaluateAttestations([envelope({ statement: Buffer.from('{"_type":"x"}') })], expected, trustedKeys),
    ).toMatchObject({
      reason: 'attestation-malformed',
      detail: expect.stringMatching(/not an in-toto Statement/),
    });
  });

  it('say why envelopes could not be read when nothing else is wrong', () => {
    expect(
      evaluateAttestations([{ error: 'blob missing' }, Buffer.from('junk')], expected, trustedKeys),
    ).toMatchObject({
      reason: 'attestation-untrusted',
      detail: expect.stringMatching(/2 could not be read/),
    });
  });
});
