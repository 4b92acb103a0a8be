// The webhook's signature as a receiver checks it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
import { createHmac } from 'crypto';
import { signatureHeader, SIGNATURE_TOLERANCE_SECONDS, verifySignature } from './sinks';

const SECRET = 'whsec_spec_51c2';
const BODY = '{"id":"n_1","kind":"threshold","accountId":"acct_1","percent":80}';
const SENT = 1_767_225_600; // 2026-01-01T00:00:00Z, in unix seconds

describe('webhook signatures', () => {
  it('are t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> with the shared secret', () => {
    const header = signatureHeader(SECRET, BODY, SENT + 0.75);
    const hmac = createHmac('sha256', SECRET).update(`${SENT}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${SENT},v1=${hmac}`);
    expect(signatureHeader(SECRET, Buffer.from(BODY, 'utf8'), SENT)).toBe(header);
  });

  it('verify: the body as sent, the secret, within the tolerance (either way)', () => {
    const header = signatureHeader(SECRET, BODY, SENT);
    expect(verifySignature(header, BODY, SECRET, SENT)).toEqual({ ok: true, timestamp: SENT });
    expect(verifySignature(header, Buffer.from(BODY), SECRET, SENT + SIGNATURE_TOLERANCE_SECONDS)).toEqual({ ok: true, timestamp: SENT });
    expect(verifySignature(header, BODY, SECRET, SENT - SIGNATURE_TOLERANCE_SECONDS)).toEqual({ ok: true, timestamp: SENT });
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
  });

  it('refuse a tampered body', () => {
    const header = signatureHeader(SECRET, BODY, SENT);
    expect(verifySignature(header, BODY.replace('80', '90'), SECRET, SENT)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, `${BODY} `, SECRET, SENT)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuse a replay: a request captured earlier and sent again after the tolerance, or a timestamp moved forward', () => {
    const header = signatureHeader(SECRET, BODY, SENT);
    expect(verifySignature(header, BODY, SECRET, SENT + SIGNATURE_TOLERANCE_SECONDS + 1)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, BODY, SECRET, SENT + 3600, 3600)).toEqual({ ok: true, timestamp: SENT });
    expect(verifySignature(header, BODY, SECRET, SENT + 61, 60)).toEqual({ ok: false, reason: 'stale' });
    // from the future beyond the tolerance (a sender's clock far ahead, or a forged t)
    expect(verifySignature(header, BODY, SECRET, SENT - SIGNATURE_TOLERANCE_SECONDS - 1)).toEqual({ ok: false, reason: 'stale' });
    // the old signature with a fresh timestamp: the timestamp is signed too
    const v1 = header.split(',v1=')[1];
    expect(verifySignature(`t=${SENT + 1000},v1=${v1}`, BODY, SECRET, SENT + 1000)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuse another secret', () => {
    expect(verifySignature(signatureHeader('whsec_other', BODY, SENT), BODY, SECRET, SENT)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(signatureHeader(SECRET, BODY, SENT), BODY, `${SECRET}x`, SENT)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('accept one matching v1 among several (a secret being rotated) and ignore other schemes', () => {
    const mine = signatureHeader(SECRET, BODY, SENT).split(',v1=')[1];
    const other = signatureHeader('whsec_old', BODY, SENT).split(',v1=')[1];
    expect(verifySignature(`t=${SENT},v0=abc,v1=${other},v1=${mine}`, BODY, SECRET, SENT)).toEqual({ ok: true, timestamp: SENT });
    expect(verifySignature(`t=${SENT}, v1=${mine.toUpperCase()}`, BODY, SECRET, SENT)).toEqual({ ok: true, timestamp: SENT });
  });

  it.each([
    undefined,
    '',
    'sha256=abc',
    `v1=${'0'.repeat(64)}`,
    `t=${SENT}`,
    `t=soon,v1=${'0'.repeat(64)}`,
    `t=${SENT},v1=${'0'.repeat(63)}`,
    `t=${SENT},v1=${'z'.repeat(64)}`,
    `t=${SENT},v1`,
  ])('refuse a malformed header %j', (header) => {
    expect(verifySignature(header, BODY, SECRET, SENT)).toEqual({ ok: false, reason: 'malformed' });
  });
});
