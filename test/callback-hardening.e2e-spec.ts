import * as iconv from 'iconv-lite';
import { CALLBACK_ENV, paymentStatus, rechargeWithPayment, signedNotify, yuan } from './callback-support';
import { newUserId } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** Issue 10: the callback takes forms only, decodes GBK, and refused posts cannot flood the log. */
describe('callback hardening (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...CALLBACK_ENV } });
  });
  afterAll(() => t.close());

  const post = (contentType: string, body: string) =>
    t.http().post('/v1/callbacks/alipay').set('Content-Type', contentType).send(body);
  const lastLog = async () =>
    (
      await t.dataSource.query(
        'SELECT outcome, detail, raw_body FROM t_callback_log ORDER BY id DESC LIMIT 1',
      )
    )[0];
  const refusedMetric = async () => {
    const text = (await t.http().get('/metrics')).text;
    return [...text.matchAll(/^oncepay_callback_refused_total\{[^}]*\} (\d+)/gm)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
  };

  it('an unsigned 95 KB post is answered fail and logged cut to 2 KB, and counted', async () => {
    const before = await refusedMetric();
    for (const size of [95_000, 10_000]) {
      const body = `notify_id=x&out_trade_no=P1&trade_status=TRADE_SUCCESS&sign=abc&pad=${'a'.repeat(size)}`;
      const res = await post('application/x-www-form-urlencoded', body);
      expect(res.status).toBe(200);
      expect(res.text).toBe('fail');
      const log = await lastLog();
      expect(log.raw_body.length).toBe(2048);
      expect(log.outcome).toBe(size > 16384 ? 'MALFORMED' : 'BAD_SIGNATURE');
    }
    expect(await refusedMetric()).toBe(before + 2);
  });

  it('anything but a form is fail and logged as malformed', async () => {
    const res = await post('application/json', JSON.stringify({ notify_id: 'x', sign: 'y' }));
    expect(res.text).toBe('fail');
    expect(await lastLog()).toMatchObject({
      outcome: 'MALFORMED',
      detail: expect.stringMatching(/not a form/),
    });
  });

  it('a GBK notify (charset=GBK, Chinese subject) is decoded by its charset and applied', async () => {
    const user = newUserId('gbk');
    const { paymentNo, amount } = await rechargeWithPayment(t, user, 1234);
    const params = await signedNotify(t.dataSource, {
      outTradeNo: paymentNo,
      totalAmount: yuan(amount),
      extra: { charset: 'GBK', subject: '龙井茶 充值' },
    });
    const esc = (s: string) =>
      [...iconv.encode(s, 'gbk')]
        .map((b) =>
          /[A-Za-z0-9_.-]/.test(String.fromCharCode(b))
            ? String.fromCharCode(b)
            : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
        )
        .join('');
    const body = Object.entries(params)
      .map(([k, v]) => `${esc(k)}=${esc(v)}`)
      .join('&');
    // every non-ASCII byte is percent-escaped, so the body is ASCII text whose escapes are GBK bytes
    const res = await post('application/x-www-form-urlencoded; charset=GBK', body);
    expect(res.text).toBe('success');
    expect(await paymentStatus(t, paymentNo)).toBe('SUCCESS');
    const log = await lastLog();
    expect(new URLSearchParams(log.raw_body).get('subject')).toBe('龙井茶 充值');
  });
});
