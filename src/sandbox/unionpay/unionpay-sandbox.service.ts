import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { DataSource, EntityManager } from 'typeorm';
import { TransactionService } from '../../common/database/transaction.service';
import { decideRefund, settleOverdue, SimRefunds } from '../core/sim-refunds';
import { SimTrades, SimTradeTable } from '../core/sim-trades';
import { billWindow } from '../core/sim-bills';
import { signFields, verifyFields } from './unionpay-sandbox-crypto';
import { UnionpaySandboxKeysService } from './unionpay-sandbox-keys.service';
import { UnionpaySandboxNotifyService } from './unionpay-sandbox-notify.service';
import { UpFault, UpNotifyMode, UpTxnRow } from './unionpay-sandbox.types';

/** A synchronous answer: the fields, or a timeout (the gateway never answers). */
export type UpAnswer = { fields: Record<string, string> } | { timeout: true };

/** China time `YYYYMMDDhhmmss` (the sandbox's own formatting). */
const cst = (d: Date) => {
  const t = new Date(d.getTime() + 8 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
};

/**
 * The UnionPay acp 5.1.0 simulator: consume by QR (01/07), query (00), refund (04, by origQryId, partial
 * allowed), the settlement file (76), and the buyer's payment. Requests must be signed by the merchant it
 * knows (certId = its certificate's decimal serial; merId its merchant record); answers and notifies are
 * signed with UnionPay's test signing certificate, sent as signPubKeyCert. State in MySQL, so every
 * instance sees one gateway. Shares no code or config with the service.
 */
@Injectable()
export class UnionpaySandboxService {
  /** The trade and refund cores (core/) over this face's table: consumes and refunds are its rows. */
  private readonly core: SimTrades<UpTxnRow>;
  private readonly refunds: SimRefunds<UpTxnRow>;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: UnionpaySandboxKeysService,
    private readonly notify: UnionpaySandboxNotifyService,
    tx: TransactionService,
  ) {
    this.core = new SimTrades(ds, UNIONPAY_TXNS);
    this.refunds = new SimRefunds(this.core, tx);
  }

  /** POST /gateway/api/{backTransReq,queryTrans,fileTransRequest}.do */
  async handle(kind: 'back' | 'query' | 'file', req: Record<string, string>): Promise<UpAnswer> {
    const k = await this.keys.get();
    const base = {
      version: '5.1.0',
      encoding: 'UTF-8',
      merId: req.merId ?? '',
      orderId: req.orderId ?? '',
      txnType: req.txnType ?? '',
    };
    if (req.certId !== k.merchant.certId || !verifyFields(req, k.merchant.certPem)) {
      return this.answer({ ...base, respCode: '11', respMsg: 'signature verification failed' });
    }
    if (req.merId !== k.merchant.merId)
      return this.answer({ ...base, respCode: '31', respMsg: 'merchant not found' });
    if (kind === 'file') return this.file(req, base);
    if (!req.txnTime || !/^\d{14}$/.test(req.txnTime))
      return this.answer({ ...base, respCode: '30', respMsg: 'txnTime format' });
    if (kind === 'query') return this.query(req, base);
    if (req.txnType === '01') return this.consume(req, base);
    if (req.txnType === '04') return this.refund(req, base);
    return this.answer({ ...base, respCode: '30', respMsg: `txnType ${req.txnType} not supported` });
  }

  private async consume(req: Record<string, string>, base: Record<string, string>): Promise<UpAnswer> {
    const amt = Number(req.txnAmt);
    if (
      !/^[1-9]\d{0,11}$/.test(req.txnAmt ?? '') ||
      !req.backUrl ||
      !/^[0-9A-Za-z]{8,40}$/.test(req.orderId ?? '')
    ) {
      return this.answer({ ...base, respCode: '30', respMsg: 'format error' });
    }
    // the same order again (a retry after a lost answer): the same QR; other parameters: duplicate
    const queryId = newQueryId();
    const { trade, state } = await this.core.create(
      {
        ...{ mer_id: req.merId, order_id: req.orderId, txn_time: req.txnTime, txn_type: '01', txn_amt: amt },
        ...{ query_id: queryId, back_url: req.backUrl, qr_code: `https://qr.95516.com/00010000/${queryId}` },
        ...{ pay_timeout: req.payTimeout || null, status: 'WAIT' },
      },
      async () => (await this.find(req.merId, req.orderId, req.txnTime))!,
      (r) => r.txn_type === '01' && r.txn_amt === amt && r.back_url === req.backUrl,
    );
    if (state === 'conflict')
      return this.answer({ ...base, respCode: '12', respMsg: 'duplicate transaction' });
    return this.answer({
      ...base,
      txnTime: req.txnTime,
      respCode: '00',
      respMsg: 'success',
      qrCode: trade.qr_code ?? '',
    });
  }

  private async refund(req: Record<string, string>, base: Record<string, string>): Promise<UpAnswer> {
    const orig = await this.core.one('query_id = ?', [req.origQryId ?? '']);
    const fault = orig ? await this.takeFault(orig, 'refund') : null;
    if (fault) {
      if (fault === 'timeout') return { timeout: true };
      return this.answer({ ...base, respCode: '03', respMsg: 'system busy' });
    }
    const amt = Number(req.txnAmt);
    const refuse = (respCode: string, respMsg: string) => this.answer({ ...base, respCode, respMsg });
    if (!orig) {
      if (await this.find(req.merId, req.orderId, req.txnTime)) return refuse('12', 'duplicate transaction');
      return refuse('35', 'original transaction not found or not paid');
    }
    // under the consume's row lock: two refunds of one consume (or one refund sent twice) queue there
    const made = await this.refunds.underLock(orig.id, async (m, o) => {
      const decision = decideRefund({
        paid: o.txn_type === '01' && o.status === 'SUCCESS',
        // an orderId + txnTime UnionPay has seen is a duplicate, whatever it was
        existing: (await this.find(req.merId, req.orderId, req.txnTime, m))
          ? { sameParams: false, settled: true }
          : null,
        refunded: o.refunded,
        amount: amt,
        total: o.txn_amt,
      });
      if (decision === 'discordant') return refuse('12', 'duplicate transaction');
      if (decision === 'not_paid') return refuse('35', 'original transaction not found or not paid');
      if (!/^[1-9]\d{0,11}$/.test(req.txnAmt ?? '')) return refuse('30', 'txnAmt');
      if (decision === 'exceeds') return refuse('36', 'refund amount exceeds');
      await this.core.update(o, { sql: 'refunded = refunded + ?', params: [amt] }, m);
      const queryId = newQueryId();
      await m.query(
        `INSERT INTO sandbox_unionpay_txn (mer_id, order_id, txn_time, txn_type, txn_amt, query_id, orig_qry_id, back_url,
           status, refund_outcome) VALUES (?, ?, ?, '04', ?, ?, ?, ?, 'PROCESSING', ?)`,
        [
          req.merId,
          req.orderId,
          req.txnTime,
          amt,
          queryId,
          o.query_id,
          req.backUrl ?? o.back_url,
          o.refund_outcome,
        ],
      );
      return { queryId };
    });
    if (!('queryId' in made)) return made;
    await this.notify.scheduleSettle(made.queryId);
    return this.answer({
      ...base,
      txnTime: req.txnTime,
      respCode: '00',
      respMsg: 'accepted',
      queryId: made.queryId,
      origQryId: orig.query_id,
    });
  }

  /** A refund accepted a moment ago settles (its outcome as armed on the trade), then notifies. */
  async settleRefund(queryId: string): Promise<void> {
    const r = await this.core.one('query_id = ?', [queryId]);
    if (!r || r.status !== 'PROCESSING') return;
    const res = await this.ds.query(
      "UPDATE sandbox_unionpay_txn SET status = ?, done_at = NOW(3) WHERE id = ? AND status = 'PROCESSING'",
      [r.refund_outcome, r.id],
    );
    if (res.affectedRows !== 1) return;
    if (r.refund_outcome === 'FAIL') {
      await this.ds.query('UPDATE sandbox_unionpay_txn SET refunded = refunded - ? WHERE query_id = ?', [
        r.txn_amt,
        r.orig_qry_id,
      ]);
    }
    await this.notify.enqueue(queryId, 'normal');
  }

  private async query(req: Record<string, string>, base: Record<string, string>): Promise<UpAnswer> {
    let t = await this.find(req.merId, req.orderId, req.txnTime);
    // an accepted refund (04) whose settle job was lost settles on a query past the settle delay
    const refund = t?.txn_type === '04' ? t : null;
    if (
      refund &&
      (await settleOverdue(refund, this.notify.settleDelayMs(), () => this.settleRefund(refund.query_id)))
    )
      t = await this.find(req.merId, req.orderId, req.txnTime);
    const fault = t ? await this.takeFault(t, 'query') : null;
    if (fault) {
      if (fault === 'timeout') return { timeout: true };
      if (fault === 'system_error') return this.answer({ ...base, respCode: '03', respMsg: 'system busy' });
      return this.answer({
        ...base,
        txnTime: req.txnTime,
        respCode: '00',
        origRespCode: '05',
        origRespMsg: 'in process',
      });
    }
    // a QR consume becomes a transaction when the buyer pays: until then, no such order
    if (!t || (t.txn_type === '01' && t.status === 'WAIT'))
      return this.answer({ ...base, respCode: '34', respMsg: 'no such order' });
    const orig =
      t.status === 'SUCCESS'
        ? { origRespCode: '00', origRespMsg: 'success' }
        : t.status === 'PROCESSING'
          ? { origRespCode: '05', origRespMsg: 'in process' }
          : { origRespCode: '60', origRespMsg: 'transaction failed' };
    return this.answer({
      ...base,
      txnTime: t.txn_time,
      txnType: t.txn_type,
      respCode: '00',
      respMsg: 'success',
      ...orig,
      queryId: t.query_id,
      txnAmt: String(t.txn_amt),
      currencyCode: '156',
      ...(t.orig_qry_id ? { origQryId: t.orig_qry_id } : {}),
    });
  }

  /** The settlement file of settleDate (MMDD, this year, China time): settled consumes and refunds. */
  private async file(req: Record<string, string>, base: Record<string, string>): Promise<UpAnswer> {
    if (!/^\d{4}$/.test(req.settleDate ?? ''))
      return this.answer({ ...base, respCode: '30', respMsg: 'settleDate' });
    const day = billWindow(
      `${cst(new Date()).slice(0, 4)}-${req.settleDate.slice(0, 2)}-${req.settleDate.slice(2)}`,
    );
    const rows = day
      ? await this.core.many(
          "mer_id = ? AND status = 'SUCCESS' AND done_at >= ? AND done_at < ? ORDER BY id",
          [req.merId, ...day],
        )
      : [];
    const lines = rows.map((r) =>
      [r.txn_type, r.order_id, r.query_id, r.txn_amt, r.txn_time, r.orig_qry_id ?? ''].join('|'),
    );
    if (lines.length === 0) return this.answer({ ...base, respCode: '98', respMsg: 'file not exist' });
    const fileContent = deflateSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8')).toString('base64');
    return this.answer({
      ...base,
      respCode: '00',
      respMsg: 'success',
      settleDate: req.settleDate,
      fileType: '00',
      fileContent,
      fileName: `INN${req.settleDate}`,
    });
  }

  /** The buyer scans and pays (POST /sandbox/unionpay/trades/{orderId}/pay). */
  async pay(orderId: string, mode: UpNotifyMode, times?: number, delayMs?: number, afterTimeout = false) {
    const t = await this.consumeOf(orderId);
    if (!t) return { status: 404 as const };
    if (t.status !== 'WAIT') return { status: 409 as const, reason: `transaction is ${t.status}` };
    if (!afterTimeout && t.pay_timeout && cst(new Date()) > t.pay_timeout)
      return { status: 409 as const, reason: 'past payTimeout' };
    if (!(await this.core.pay(t, {}))) return { status: 409 as const, reason: 'paid concurrently' };
    const notifyId = await this.notify.enqueue(t.query_id, mode, times, delayMs);
    return { status: 200 as const, queryId: t.query_id, notifyId };
  }

  async armFaults(
    orderId: string,
    f: { query?: UpFault; refund?: UpFault; times?: number; refundOutcome?: 'SUCCESS' | 'FAIL' },
  ) {
    const t = await this.consumeOf(orderId);
    if (!t) return false;
    await this.core.faults.arm(t.id, { query: f.query, refund: f.refund }, f.times);
    if (f.refundOutcome) await this.core.update(t, { refund_outcome: f.refundOutcome });
    return true;
  }

  private async consumeOf(orderId: string): Promise<UpTxnRow | undefined> {
    return (await this.core.one("order_id = ? AND txn_type = '01' ORDER BY id DESC", [orderId])) ?? undefined;
  }

  /** The sandbox's view of a consume, its refunds and notify attempts. */
  async view(orderId: string) {
    const t = await this.consumeOf(orderId);
    if (!t) return null;
    const refunds: UpTxnRow[] = await this.ds.query(
      'SELECT * FROM sandbox_unionpay_txn WHERE orig_qry_id = ? ORDER BY id',
      [t.query_id],
    );
    const attempts = await this.notify.attemptsOf(t.order_id);
    return {
      orderId: t.order_id,
      txnTime: t.txn_time,
      txnAmt: Number(t.txn_amt),
      queryId: t.query_id,
      status: t.status,
      qrCode: t.qr_code,
      backUrl: t.back_url,
      refunded: Number(t.refunded),
      refunds: refunds.map((r) => ({
        orderId: r.order_id,
        txnAmt: Number(r.txn_amt),
        status: r.status,
        queryId: r.query_id,
      })),
      // the core's attempt shape; orderId is this face's older name of the notified order (ref ?? trade)
      notifyAttempts: attempts.map((a) => ({ ...a, orderId: a.ref ?? t.order_id })),
    };
  }

  /** Signs an answer as UnionPay does: signPubKeyCert + signature. */
  private async answer(fields: Record<string, string>): Promise<UpAnswer> {
    const k = await this.keys.get();
    const f: Record<string, string> = { ...fields, signMethod: '01', signPubKeyCert: k.gateway.certPem };
    f.signature = signFields(f, k.gateway.privatePem);
    return { fields: f };
  }

  private async find(merId: string, orderId: string, txnTime: string, m?: EntityManager) {
    return (
      (await this.core.one('mer_id = ? AND order_id = ? AND txn_time = ?', [merId, orderId, txnTime], m)) ??
      undefined
    );
  }

  /** Takes one armed fault of `kind` from the consume (a refund's faults are armed on its consume). */
  private async takeFault(t: UpTxnRow, kind: 'query' | 'refund'): Promise<UpFault | null> {
    const consume = t.txn_type === '01' ? t : await this.core.one('query_id = ?', [t.orig_qry_id]);
    return consume ? this.core.faults.take<UpFault>(consume, kind) : null;
  }
}

/** How sandbox_unionpay_txn spells the core's trade (a QR consume: no close, no pay-after-close). */
const UNIONPAY_TXNS: SimTradeTable = {
  table: 'sandbox_unionpay_txn',
  status: 'status',
  open: 'WAIT',
  paid: 'SUCCESS',
  closed: null,
  paidAt: 'done_at',
  numeric: ['txn_amt', 'refunded'],
  versioned: false,
};

function newQueryId(): string {
  return `${cst(new Date())}${String(randomInt(0, 1e6)).padStart(6, '0')}${String(randomInt(0, 10)).padStart(1, '0')}`;
}
