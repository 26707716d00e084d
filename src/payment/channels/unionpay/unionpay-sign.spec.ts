import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { ACP_SAMPLE_AT, ACP_SAMPLE_NOTIFY, CFCA_TEST_OCA1, CFCA_TEST_ROOT } from './acp-test-sample';
import { UNIONPAY_CN, UNIONPAY_TEST_CN } from './unionpay.config';
import { acpDigestHex, acpSign, acpSignText, acpVerify, AcpTrust } from './unionpay-sign';

const trust: AcpTrust = {
  root: new X509Certificate(CFCA_TEST_ROOT),
  middle: new X509Certificate(CFCA_TEST_OCA1),
  identities: [UNIONPAY_CN, UNIONPAY_TEST_CN],
};

describe('UnionPay signMethod 01', () => {
  it('a genuine published test notify verifies against the configured root + intermediate', () => {
    const v = acpVerify(ACP_SAMPLE_NOTIFY, trust, ACP_SAMPLE_AT);
    expect(v).toMatchObject({ ok: true });
    expect(v.ok && v.cert.subject).toContain('CN=041@Z2017-11-1@00040000:SIGN@00000001');
  });

  it.each([
    ['txnAmt', (v: string) => `${v}1`],
    ['orderId', (v: string) => v.replace(/.$/, (c) => (c === '4' ? '5' : '4'))],
    ['respCode', () => '01'],
    [
      'signature',
      (v: string) =>
        v[10] === 'A' ? `${v.slice(0, 10)}B${v.slice(11)}` : `${v.slice(0, 10)}A${v.slice(11)}`,
    ],
  ])('a one-character tamper of %s is refused', (field, change) => {
    const forged = { ...ACP_SAMPLE_NOTIFY, [field]: change(ACP_SAMPLE_NOTIFY[field]) };
    expect(acpVerify(forged, trust, ACP_SAMPLE_AT)).toEqual({
      ok: false,
      reason: 'signature does not verify',
    });
  });

  it('refuses a certificate outside its validity (the sample today), another chain, an identity not accepted', () => {
    expect(acpVerify(ACP_SAMPLE_NOTIFY, trust, new Date())).toMatchObject({
      ok: false,
      reason: /not valid at/,
    });
    const other = { ...trust, middle: trust.root };
    expect(acpVerify(ACP_SAMPLE_NOTIFY, other, ACP_SAMPLE_AT)).toMatchObject({
      ok: false,
      reason: /intermediate/,
    });
    const prodOnly = { ...trust, identities: [UNIONPAY_CN] };
    expect(acpVerify(ACP_SAMPLE_NOTIFY, prodOnly, ACP_SAMPLE_AT)).toMatchObject({
      ok: false,
      reason: /identity/,
    });
    expect(acpVerify({ ...ACP_SAMPLE_NOTIFY, signMethod: '11' }, trust, ACP_SAMPLE_AT)).toMatchObject({
      ok: false,
    });
    expect(acpVerify({ ...ACP_SAMPLE_NOTIFY, signPubKeyCert: 'junk' }, trust, ACP_SAMPLE_AT)).toMatchObject({
      ok: false,
    });
  });

  it('signs the sorted non-empty k=v text; the digest is lowercase hex; certId and signMethod are added', () => {
    expect(acpSignText({ b: '2', a: '1', empty: '', signature: 'x' })).toBe('a=1&b=2');
    expect(acpDigestHex({ a: '1' })).toMatch(/^[0-9a-f]{64}$/);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signed = acpSign(
      { merId: '777290058110048', orderId: 'O1' },
      { key: privateKey, certId: '69026276696' },
    );
    expect(signed).toMatchObject({ signMethod: '01', certId: '69026276696' });
    expect(Buffer.from(signed.signature, 'base64')).toHaveLength(256);
  });
});
