import { SandboxRefundService } from '../src/sandbox/sandbox-refund.service';
import { signFields } from '../src/sandbox/unionpay/unionpay-sandbox-crypto';
import { UnionpaySandboxKeysService } from '../src/sandbox/unionpay/unionpay-sandbox-keys.service';
import { UnionpaySandboxService } from '../src/sandbox/unionpay/unionpay-sandbox.service';
import { WechatSandboxService } from '../src/sandbox/wechat/wechat-sandbox.service';
import { newOrder, prepay } from './payment-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * The simulator's refund core (src/sandbox/core/sim-refunds.ts) under its three faces, on real MySQL
 * with two instances on one database: N refund requests of one trade at once, half on each instance,
 * through each face's own refund entry (its parsing and answers, no HTTP signing in between). A refund
 * number refunds once, and the sum of refunds never passes the paid amount. UnionPay refunded one
 * trade twice here before the core (its duplicate check and its insert were not under one lock).
 */
const ENV = { SANDBOX_TIME_SCALE: '0.001', PAYMENT_QUERY_DELAYS_MS: '600000', SUBMIT_DEDUP_WINDOW_MS: '1' };
const N = 20;
type Channel = 'alipay' | 'wechat' | 'unionpay';

describe('sandbox refund core: N concurrent refunds of one trade, three faces, two instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: ENV });
    b = await createTestApp({ env: ENV, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A trade paid at the sandbox (its notify dropped: the service's side does not matter here). */
  async function paidTrade(channel: Channel) {
    const { userId, orderNo, amount } = await newOrder(a);
    const no = (await prepay(a, userId, orderNo, channel).expect(201)).body.paymentNo as string;
    const route = { alipay: 'alipay/trades', wechat: 'wechat/transactions', unionpay: 'unionpay/trades' }[
      channel
    ];
    await a
      .http()
      .post(`/sandbox/${route}/${no}/pay`)
      .send({ notify: { mode: 'drop' } })
      .expect(200);
    return { no, amount: amount as number };
  }

  /** One refund request through `t`'s face; true when the gateway accepted it (money moves). */
  const REFUND: Record<
    Channel,
    (t: TestApp, no: string, refundNo: string, fen: number, total: number) => Promise<boolean>
  > = {
    alipay: async (t, no, refundNo, fen) => {
      const r = await t.app
        .get(SandboxRefundService)
        .refund({ out_trade_no: no, out_request_no: refundNo, refund_amount: (fen / 100).toFixed(2) }, null);
      return typeof r === 'object' && r.code === '10000' && r.fund_change === 'Y';
    },
    wechat: async (t, no, refundNo, fen, total) => {
      const wx = t.app.get(WechatSandboxService);
      const { mchid } = await wx.get(no);
      const r = await wx.refund(mchid, {
        out_trade_no: no,
        out_refund_no: refundNo,
        amount: { refund: fen, total },
      });
      return r.status === 200 && (r as { created?: boolean }).created === true;
    },
    unionpay: async (t, no, refundNo, fen) => {
      const k = await t.app.get(UnionpaySandboxKeysService).get();
      const [consume] = await t.dataSource.query(
        "SELECT query_id FROM sandbox_unionpay_txn WHERE order_id = ? AND txn_type = '01'",
        [no],
      );
      const req: Record<string, string> = {
        ...{ version: '5.1.0', encoding: 'UTF-8', signMethod: '01', txnType: '04', txnSubType: '00' },
        ...{ bizType: '000201', accessType: '0', channelType: '08', merId: k.merchant.merId },
        ...{ orderId: refundNo, txnTime: '20261208010000', txnAmt: String(fen), currencyCode: '156' },
        ...{ origQryId: consume.query_id, backUrl: 'http://127.0.0.1:1/none', certId: k.merchant.certId },
      };
      req.signature = signFields(req, k.merchant.privatePem);
      const r = await t.app.get(UnionpaySandboxService).handle('back', req);
      return 'fields' in r && r.fields.respCode === '00';
    },
  };

  /** What the sandbox holds for the trade: refund rows that move money and their sum (fen). */
  const REFUNDED: Record<Channel, (no: string) => Promise<{ n: number; sum: number }>> = {
    alipay: (no) =>
      sums(
        "SELECT COUNT(*) n, SUM(refund_amount) s FROM sandbox_refund WHERE out_trade_no = ? AND status = 'SUCCESS'",
        no,
      ),
    wechat: (no) =>
      sums('SELECT COUNT(*) n, SUM(refund) s FROM sandbox_wechat_refund WHERE out_trade_no = ?', no),
    unionpay: (no) =>
      sums(
        `SELECT COUNT(*) n, SUM(r.txn_amt) s FROM sandbox_unionpay_txn r
         JOIN sandbox_unionpay_txn c ON c.query_id = r.orig_qry_id WHERE c.order_id = ? AND r.txn_type = '04'`,
        no,
      ),
  };
  async function sums(sql: string, no: string) {
    const [{ n, s }] = await a.dataSource.query(sql, [no]);
    return { n: Number(n), sum: Number(s ?? 0) };
  }

  it.each(['alipay', 'wechat', 'unionpay'] as const)(
    '%s: N concurrent refunds of 30 %% with one number → one refund; the other 70 %% is still refundable',
    async (channel) => {
      const { no, amount } = await paidTrade(channel);
      const part = Math.floor(amount * 0.3);
      const rno = `R${randomSuffix()}`;
      const ok = await Promise.all(
        Array.from({ length: N }, (_, i) => REFUND[channel](i % 2 ? a : b, no, rno, part, amount)),
      );
      expect(ok.filter(Boolean)).toHaveLength(1);
      expect(await REFUNDED[channel](no)).toEqual({ n: 1, sum: part });
      // what the trade counts as refunded is that one refund: the rest is refundable, and no more
      expect(await REFUND[channel](a, no, `R${randomSuffix()}`, amount - part + 1, amount)).toBe(false);
      expect(await REFUND[channel](b, no, `R${randomSuffix()}`, amount - part, amount)).toBe(true);
      expect(await REFUNDED[channel](no)).toEqual({ n: 2, sum: amount });
    },
  );

  it.each(['alipay', 'wechat', 'unionpay'] as const)(
    '%s: N concurrent refunds with N numbers of 30 % each → three accepted, the sum never above the amount',
    async (channel) => {
      const { no, amount } = await paidTrade(channel);
      const part = Math.floor(amount * 0.3);
      const ok = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          REFUND[channel](i % 2 ? a : b, no, `R${randomSuffix()}`, part, amount),
        ),
      );
      expect(ok.filter(Boolean)).toHaveLength(3);
      expect(await REFUNDED[channel](no)).toEqual({ n: 3, sum: 3 * part });
    },
  );
});
