import { signPayload, verifySignature } from './signature';

const secret = 'whsec_test';
const body = Buffer.from('{"collectorId":"col_1","state":"verified"}');
const now = new Date('2026-11-24T03:00:00Z');
const t = Math.floor(now.getTime() / 1000);

describe('KYC webhook signature', () => {
  it('accepts the signature of the raw body', () => {
    expect(verifySignature(secret, signPayload(secret, t, body), body, now)).toBe('ok');
  });
  it('rejects another secret, a changed body and a changed timestamp', () => {
    expect(verifySignature(secret, signPayload('other', t, body), body, now)).toBe('mismatch');
    expect(
      verifySignature(secret, signPayload(secret, t, body), Buffer.from(`${body.toString()} `), now),
    ).toBe('mismatch');
    const forged = signPayload(secret, t, body).replace(`t=${t}`, `t=${t + 1}`);
    expect(verifySignature(secret, forged, body, now)).toBe('mismatch');
  });
  it('rejects a stale timestamp, even correctly signed (replay)', () => {
    expect(verifySignature(secret, signPayload(secret, t - 301, body), body, now)).toBe('stale');
    expect(verifySignature(secret, signPayload(secret, t + 301, body), body, now)).toBe('stale');
  });
  it('rejects a malformed header', () => {
    expect(verifySignature(secret, undefined, body, now)).toBe('malformed');
    expect(verifySignature(secret, 'v1=abc', body, now)).toBe('malformed');
    expect(verifySignature(secret, `t=${t},v1=${'z'.repeat(64)}`, body, now)).toBe('malformed');
  });
});
