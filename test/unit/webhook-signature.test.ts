import { signPayload, verifySignature } from '../../activities/webhooks';

const secret = 'whsec_test';
const body = '{"type":"stage.held","rolloutId":"r-1"}';
const t = 1_700_000_000;

describe('signPayload', () => {
  it('matches a vector computed independently (openssl dgst -sha256 -hmac)', () => {
    expect(signPayload(secret, body, t)).toBe('t=1700000000,v1=54685ea5ff7c2864cd0f27cdddd2d2bd901f8d172d535f0e20b8b60983129950');
  });

  it('signs bytes and the same text alike', () => {
    expect(signPayload(secret, Buffer.from(body, 'utf8'), t)).toBe(signPayload(secret, body, t));
  });

  it('refuses a timestamp that is not whole seconds', () => {
    expect(() => signPayload(secret, body, 1_700_000_000.5)).toThrow(RangeError);
    expect(() => signPayload(secret, body, -1)).toThrow(RangeError);
  });
});

describe('verifySignature', () => {
  const header = signPayload(secret, body, t);

  it('accepts a fresh signature over the exact body', () => {
    expect(verifySignature(secret, body, header, t + 10)).toEqual({ valid: true, timestamp: t });
    expect(verifySignature(secret, Buffer.from(body), header, t)).toEqual({ valid: true, timestamp: t });
  });

  it('rejects a tampered body', () => {
    const tampered = body.replace('stage.held', 'stage.passed');
    expect(verifySignature(secret, tampered, header, t)).toEqual({ valid: false, reason: 'mismatch' });
    expect(verifySignature(secret, `${body} `, header, t)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('rejects another secret', () => {
    expect(verifySignature('whsec_other', body, header, t)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('rejects a timestamp that was re-signed into the header without the secret', () => {
    const v1 = header.split('v1=')[1];
    expect(verifySignature(secret, body, `t=${t + 1},v1=${v1}`, t)).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('rejects stale and future timestamps beyond the tolerance, and accepts the boundary', () => {
    expect(verifySignature(secret, body, header, t + 301)).toEqual({ valid: false, reason: 'stale' });
    expect(verifySignature(secret, body, header, t - 301)).toEqual({ valid: false, reason: 'stale' });
    expect(verifySignature(secret, body, header, t + 300)).toMatchObject({ valid: true });
    expect(verifySignature(secret, body, header, t + 60, 30)).toEqual({ valid: false, reason: 'stale' });
  });

  it('rejects a replay outside the tolerance even with a valid signature', () => {
    expect(verifySignature(secret, body, header, t + 24 * 3600)).toEqual({ valid: false, reason: 'stale' });
  });

  it('accepts any matching v1 among several and ignores unknown schemes', () => {
    const v1 = header.split('v1=')[1];
    const other = 'ab'.repeat(32);
    expect(verifySignature(secret, body, `t=${t},v1=${other},v1=${v1},v2=whatever`, t)).toMatchObject({ valid: true });
    expect(verifySignature(secret, body, ` t=${t} , v1=${v1!.toUpperCase()} `, t)).toMatchObject({ valid: true });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no timestamp', `v1=${'ab'.repeat(32)}`],
    ['no signature', `t=${t}`],
    ['short signature', `t=${t},v1=abcd`],
    ['non-numeric timestamp', `t=soon,v1=${'ab'.repeat(32)}`],
    ['two timestamps', `t=${t},t=${t},v1=${'ab'.repeat(32)}`],
    ['a part without =', `t=${t},v1`],
  ])('rejects a malformed header: %s', (_name, malformed) => {
    expect(verifySignature(secret, body, malformed, t)).toEqual({ valid: false, reason: 'malformed' });
  });
});
