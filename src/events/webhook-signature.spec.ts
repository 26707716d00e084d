import { createHmac } from 'node:crypto';
import { signatureHeader, signPayload, verifySignature } from './webhook-signature';

describe('webhook signature', () => {
  const body =
    '{"id":"evt_1","type":"order.paid","createdAt":"2026-12-07T10:00:00.000Z","version":1,"data":{}}';
  const t = 1_796_000_000;

  it('v1 is the hex HMAC-SHA256 of "<t>.<raw body>" with the secret', () => {
    const expected = createHmac('sha256', 'whsec_a').update(`${t}.${body}`).digest('hex');
    expect(signPayload('whsec_a', t, body)).toBe(expected);
    expect(signatureHeader(['whsec_a'], t, body)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies with the secret, not with a wrong one, a changed body or a changed t', () => {
    const h = signatureHeader(['whsec_a'], t, body);
    expect(verifySignature(h, body, 'whsec_a', { nowS: t })).toBe(true);
    expect(verifySignature(h, body, 'whsec_b', { nowS: t })).toBe(false);
    expect(verifySignature(h, body.replace('order.paid', 'order.cancelled'), 'whsec_a', { nowS: t })).toBe(
      false,
    );
    expect(verifySignature(h.replace(`t=${t}`, `t=${t + 1}`), body, 'whsec_a', { nowS: t })).toBe(false);
  });

  it('refuses an old timestamp (replay) beyond the tolerance', () => {
    const h = signatureHeader(['whsec_a'], t, body);
    expect(verifySignature(h, body, 'whsec_a', { nowS: t + 299 })).toBe(true);
    expect(verifySignature(h, body, 'whsec_a', { nowS: t + 301 })).toBe(false);
  });

  it('during a rotation both secrets verify (one v1 each)', () => {
    const h = signatureHeader(['whsec_new', 'whsec_old'], t, body);
    expect(h.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignature(h, body, 'whsec_new', { nowS: t })).toBe(true);
    expect(verifySignature(h, body, 'whsec_old', { nowS: t })).toBe(true);
    expect(verifySignature(h, body, 'whsec_other', { nowS: t })).toBe(false);
  });

  it('malformed headers verify nothing', () => {
    for (const h of ['', 't=abc,v1=00', `t=${t}`, `t=${t},v1=zz`, `v1=${signPayload('s', t, body)}`]) {
      expect(verifySignature(h, body, 's', { nowS: t })).toBe(false);
    }
  });
});
