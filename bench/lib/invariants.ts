import type { Connection } from 'mysql2/promise';
import { IS_LATE_MONEY } from './late-money-chaos';

export interface Invariant {
  name: string;
  violations: number;
  detail: string;
}

async function rows<T>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await c.query(sql, params);
  return r as T[];
}

async function n(c: Connection, sql: string, params: unknown[] = []): Promise<number> {
  const r = await rows<Record<string, unknown>>(c, sql, params);
  return Number(r[0] ? Object.values(r[0])[0] : 0);
}

const sample = (xs: Array<Record<string, unknown>>) =>
  xs
    .slice(0, 3)
    .map((x) => JSON.stringify(x))
    .join('; ');

/**
 * The three gateway sandboxes: their trade tables, the payment number's column, "paid now" (a fully
 * refunded Alipay trade is TRADE_CLOSED again) and "was ever paid".
 */
const GATEWAYS = [
  {
    channel: 'alipay',
    table: 'sandbox_trade',
    no: 'out_trade_no',
    paid: "status = 'TRADE_SUCCESS'",
    paidEver: 'gmt_payment IS NOT NULL',
    noun: 'trades paid at the sandbox',
  },
  {
    channel: 'wechat',
    table: 'sandbox_wechat_transaction',
    no: 'out_trade_no',
    paid: "trade_state IN ('SUCCESS', 'REFUND')",
    paidEver: 'success_time IS NOT NULL',
    noun: 'transactions paid at the WeChat sandbox',
  },
  {
    channel: 'unionpay',
    table: 'sandbox_unionpay_txn',
    no: 'order_id',
    paid: "txn_type = '01' AND st.status = 'SUCCESS'", // prefixed with st.: every column named
    paidEver: "txn_type = '01' AND st.status = 'SUCCESS'",
    noun: 'consumes paid at the UnionPay sandbox',
  },
] as const;

/**
 * The money invariants of oncepay, read straight from MySQL (the truth), never through the API.
 * `initialStock` is the stock each product was created with.
 */
export async function checkInvariants(c: Connection, initialStock: number): Promise<Invariant[]> {
  const out: Invariant[] = [];

  // 1. per gateway channel, nothing lost: every trade its sandbox says is paid is SUCCESS here on that
  //    channel, and its order PAID (or refunded since), or, if the order was cancelled before the money
  //    arrived, a recorded anomaly; and nothing invented: every SUCCESS payment of the channel was paid
  //    at its sandbox
  for (const g of GATEWAYS) {
    const lost = await rows<Record<string, unknown>>(
      c,
      `SELECT st.${g.no} AS out_trade_no, p.status AS payment_status, p.channel, o.order_no, o.status AS order_status
         FROM ${g.table} st
         LEFT JOIN t_payment p ON p.payment_no = st.${g.no}
         LEFT JOIN t_order o ON o.order_no = p.order_no
        WHERE st.${g.paid}
          AND (p.status IS NULL OR p.status <> 'SUCCESS' OR p.channel <> ? OR o.status IS NULL
               OR (o.status NOT IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
                   AND NOT EXISTS (SELECT 1 FROM t_payment_anomaly a WHERE a.payment_no = p.payment_no)))`,
      [g.channel],
    );
    const paidAtGateway = await n(c, `SELECT COUNT(*) FROM ${g.table} st WHERE st.${g.paid}`);
    const kinds = new Map<string, number>();
    for (const l of lost) {
      const k = `payment ${String(l.payment_status)} / order ${String(l.order_status)}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    const breakdown = [...kinds.entries()].map(([k, v]) => `${v}× ${k}`).join(', ');
    out.push({
      name: `${g.channel}: paid at the gateway ⇒ SUCCESS and order PAID (0 lost)`,
      violations: lost.length,
      detail: `${paidAtGateway} ${g.noun}${lost.length ? `; not applied: ${breakdown}; e.g. ${sample(lost)}` : ''}`,
    });
    const invented = await rows<Record<string, unknown>>(
      c,
      `SELECT p.payment_no, p.amount FROM t_payment p
        WHERE p.channel = ? AND p.status = 'SUCCESS'
          AND NOT EXISTS (SELECT 1 FROM ${g.table} st WHERE st.${g.no} = p.payment_no AND st.${g.paidEver})`,
      [g.channel],
    );
    out.push({
      name: `${g.channel}: SUCCESS ⇒ paid at the gateway (0 invented)`,
      violations: invented.length,
      detail: invented.length
        ? sample(invented)
        : `${await n(c, "SELECT COUNT(*) FROM t_payment WHERE channel = ? AND status = 'SUCCESS'", [g.channel])} SUCCESS ${g.channel} payments`,
    });
  }

  // 2a. one success per order: never charged twice (a second success is late money, which an anomaly
  //     names and the late-money invariant follows to its refund: late-money-chaos.ts)
  const twice = await rows<Record<string, unknown>>(
    c,
    `SELECT p.order_no, COUNT(*) AS n FROM t_payment p WHERE p.status = 'SUCCESS' AND NOT ${IS_LATE_MONEY}
      GROUP BY p.order_no HAVING COUNT(*) > 1`,
  );
  out.push({
    name: 'no order charged twice (late money aside)',
    violations: twice.length,
    detail: twice.length ? sample(twice) : 'ok',
  });

  // 2b. every SUCCESS payment has exactly its one marker, and no marker lacks its payment — per channel
  const orphanMarkers = await n(
    c,
    `SELECT COUNT(*) FROM t_uq_dipose d LEFT JOIN t_payment p ON p.payment_no = d.ref_id
      WHERE d.ref_type = 'PAYMENT_SUCCEEDED' AND (p.status IS NULL OR p.status <> 'SUCCESS')`,
  );
  let markerViolations = orphanMarkers;
  const perChannel: string[] = [];
  for (const ch of ['alipay', 'wechat', 'unionpay', 'wallet']) {
    const success = await n(c, "SELECT COUNT(*) FROM t_payment WHERE channel = ? AND status = 'SUCCESS'", [
      ch,
    ]);
    const marked = await n(
      c,
      `SELECT COUNT(*) FROM t_uq_dipose d JOIN t_payment p ON p.payment_no = d.ref_id
        WHERE d.ref_type = 'PAYMENT_SUCCEEDED' AND p.channel = ? AND p.status = 'SUCCESS'`,
      [ch],
    );
    markerViolations += Math.abs(success - marked);
    perChannel.push(`${ch} ${marked}/${success}`);
  }
  out.push({
    // every channel (the wallet too) goes through the one success path and its marker
    name: 't_uq_dipose PAYMENT_SUCCEEDED = SUCCESS payments, per channel',
    violations: markerViolations,
    detail: `markers/SUCCESS payments: ${perChannel.join(', ')}; ${orphanMarkers} markers without a SUCCESS payment`,
  });

  // 2c. PAID orders were paid exactly their total, to the fen
  const mismatch = await rows<Record<string, unknown>>(
    c,
    `SELECT o.order_no, o.total_amount, COALESCE(SUM(p.amount), 0) AS paid
       FROM t_order o LEFT JOIN t_payment p ON p.order_no = o.order_no AND p.status = 'SUCCESS' AND NOT ${IS_LATE_MONEY}
      WHERE o.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
      GROUP BY o.order_no, o.total_amount HAVING paid <> o.total_amount`,
  );
  out.push({
    name: 'PAID (and refunded) orders: Σ SUCCESS payments (late money aside) = total (to the fen)',
    violations: mismatch.length,
    detail: mismatch.length
      ? sample(mismatch)
      : `${await n(c, "SELECT COUNT(*) FROM t_order WHERE status = 'PAID'")} PAID orders`,
  });

  // 2d. wallets: balance = Σ paid recharges − Σ SUCCESS wallet payments + Σ succeeded wallet refunds
  //     − Σ recharge refunds' debits (taken when the refund is created, given back if it fails)
  //     ± transfers − Σ payouts not FAILED (taken at the create, given back when one fails), per user,
  //     to the fen
  const wallets = await rows<Record<string, unknown>>(
    c,
    `SELECT a.user_id, a.balance,
            COALESCE((SELECT SUM(o.total_amount) FROM t_order o WHERE o.user_id = a.user_id AND o.type = 'RECHARGE'
                       AND o.status IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')), 0)
          - COALESCE((SELECT SUM(p.amount) FROM t_payment p WHERE p.user_id = a.user_id AND p.channel = 'wallet' AND p.status = 'SUCCESS'), 0)
          + COALESCE((SELECT SUM(r.amount) FROM t_refund r WHERE r.user_id = a.user_id AND r.channel = 'wallet' AND r.status = 'SUCCEEDED'), 0)
          - COALESCE((SELECT SUM(r.wallet_debit) FROM t_refund r WHERE r.user_id = a.user_id AND r.status <> 'FAILED'), 0)
          - COALESCE((SELECT SUM(t.amount) FROM t_transfer t WHERE t.from_user = a.user_id AND t.status = 'SUCCEEDED'), 0)
          + COALESCE((SELECT SUM(t.amount) FROM t_transfer t WHERE t.to_user = a.user_id AND t.status = 'SUCCEEDED'), 0)
          - COALESCE((SELECT SUM(po.amount) FROM t_payout po WHERE po.user_id = a.user_id AND po.status <> 'FAILED'), 0)
          + COALESCE((SELECT SUM(e.amount) FROM t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id
                       WHERE la.kind = 'WALLET' AND la.owner = a.user_id AND e.kind IN ('OPENING', 'ADJUSTMENT')), 0) AS expected
       FROM t_user_account a
     HAVING a.balance <> expected`,
  );
  const rechargesPaid = await n(
    c,
    "SELECT COUNT(*) FROM t_order WHERE type = 'RECHARGE' AND status = 'PAID'",
  );
  out.push({
    name: 'wallet balances reconcile (recharges − wallet payments ± refunds ± transfers − payouts)',
    violations: wallets.length,
    detail: wallets.length
      ? sample(wallets)
      : `${await n(c, 'SELECT COUNT(*) FROM t_user_account')} accounts, ${rechargesPaid} paid recharges`,
  });

  // 3. stock + sold = initial stock, for every product (sold = items of orders neither CANCELLED nor
  //    restocked by a refund)
  const stock = await rows<Record<string, unknown>>(
    c,
    `SELECT p.id, p.stock,
            COALESCE((SELECT SUM(i.quantity) FROM t_order_item i JOIN t_order o ON o.id = i.order_id
                       WHERE i.product_id = p.id AND o.status <> 'CANCELLED'
                         AND NOT EXISTS (SELECT 1 FROM t_uq_dipose d
                                          WHERE d.ref_type = 'ORDER_RESTOCKED' AND d.ref_id = o.order_no)), 0) AS sold
       FROM t_product p
     HAVING p.stock + sold <> ?`,
    [initialStock],
  );
  out.push({
    name: 'stock + sold = initial stock',
    violations: stock.length,
    detail: stock.length ? sample(stock) : `${await n(c, 'SELECT COUNT(*) FROM t_product')} products`,
  });

  // 4. no order left PAYING without a live (PENDING) payment
  const paying = await rows<Record<string, unknown>>(
    c,
    `SELECT o.order_no, o.updated_at FROM t_order o
      WHERE o.status = 'PAYING'
        AND NOT EXISTS (SELECT 1 FROM t_payment p WHERE p.order_no = o.order_no AND p.status = 'PENDING')`,
  );
  out.push({
    name: 'no order PAYING without a PENDING payment',
    violations: paying.length,
    detail: paying.length
      ? sample(paying)
      : `${await n(c, "SELECT COUNT(*) FROM t_order WHERE status = 'PAYING'")} orders PAYING, each with a PENDING payment`,
  });
  out.push(...(await refundInvariants(c)));
  out.push(...(await ledgerInvariants(c)));
  return out;
}

/**
 * The ledger (issue 22): every journal sums to 0; every wallet's balance = the sum of its entries; no
 * transfer moved twice (a SUCCEEDED transfer has exactly its two TRANSFER entries and one marker, any
 * other transfer none).
 */
export async function ledgerInvariants(c: Connection): Promise<Invariant[]> {
  const unbalanced = await rows<Record<string, unknown>>(
    c,
    'SELECT journal_id, SUM(amount) AS s FROM t_ledger_entry GROUP BY journal_id HAVING SUM(amount) <> 0',
  );
  const drift = await rows<Record<string, unknown>>(
    c,
    `SELECT ua.user_id, ua.balance,
            COALESCE((SELECT SUM(e.amount) FROM t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id
                       WHERE la.kind = 'WALLET' AND la.owner = ua.user_id), 0) AS entries
       FROM t_user_account ua HAVING ua.balance <> entries`,
  );
  const twice = await rows<Record<string, unknown>>(
    c,
    `SELECT t.transfer_no, t.status,
            (SELECT COUNT(*) FROM t_ledger_entry e WHERE e.kind = 'TRANSFER' AND e.ref_id = t.transfer_no) AS entries,
            (SELECT COUNT(*) FROM t_uq_dipose d WHERE d.ref_type = 'TRANSFER' AND d.ref_id = t.transfer_no) AS markers
       FROM t_transfer t
     HAVING (t.status = 'SUCCEEDED' AND (entries <> 2 OR markers <> 1)) OR (t.status <> 'SUCCEEDED' AND (entries <> 0 OR markers <> 0))`,
  );
  const journals = await n(c, 'SELECT COUNT(DISTINCT journal_id) FROM t_ledger_entry');
  return [
    {
      name: 'every journal sums to 0',
      violations: unbalanced.length,
      detail: unbalanced.length ? sample(unbalanced) : `${journals} journals`,
    },
    {
      name: 'every wallet = its entries',
      violations: drift.length,
      detail: drift.length ? sample(drift) : `${await n(c, 'SELECT COUNT(*) FROM t_user_account')} wallets`,
    },
    {
      name: 'no transfer moved twice',
      violations: twice.length,
      detail: twice.length
        ? sample(twice)
        : `${await n(c, "SELECT COUNT(*) FROM t_transfer WHERE status = 'SUCCEEDED'")} SUCCEEDED of ${await n(c, 'SELECT COUNT(*) FROM t_transfer')} transfers`,
    },
  ];
}

/**
 * Refunds (issue 12): money never goes back beyond what was paid, and what the gateway refunded is
 * exactly what is SUCCEEDED here (the sandbox keeps its own tables: sandbox_refund for Alipay,
 * sandbox_wechat_refund for WeChat and sandbox_unionpay_txn's `04` rows for UnionPay when present),
 * refund by refund, to the fen; no refund left PENDING.
 */
export async function refundInvariants(c: Connection): Promise<Invariant[]> {
  const out: Invariant[] = [];
  // 5. refunded ≤ paid per payment; the reservation = Σ refunds not FAILED
  const over = await rows<Record<string, unknown>>(
    c,
    `SELECT p.payment_no, p.amount, p.refunded_amount,
            COALESCE((SELECT SUM(r.amount) FROM t_refund r WHERE r.payment_no = p.payment_no AND r.status = 'SUCCEEDED'), 0) AS succeeded,
            COALESCE((SELECT SUM(r.amount) FROM t_refund r WHERE r.payment_no = p.payment_no AND r.status <> 'FAILED'), 0) AS reserved
       FROM t_payment p
     HAVING p.refunded_amount > p.amount OR succeeded > p.amount OR reserved <> p.refunded_amount`,
  );
  const refunds = await rows<Record<string, unknown>>(
    c,
    `SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS fen, COUNT(DISTINCT payment_no) AS payments
       FROM t_refund WHERE status = 'SUCCEEDED'`,
  );
  out.push({
    name: 'refunded ≤ paid for every payment (reservation = Σ refunds not FAILED)',
    violations: over.length,
    detail: over.length
      ? sample(over)
      : `${Number(refunds[0].n)} SUCCEEDED refunds (${Number(refunds[0].fen)} fen) over ${Number(refunds[0].payments)} payments`,
  });

  // 6. gateway refunds = local SUCCEEDED refunds, refund number by refund number, to the fen
  const wechat =
    (await n(
      c,
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sandbox_wechat_refund'",
    )) > 0;
  const unionpay =
    (await n(
      c,
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sandbox_unionpay_txn'",
    )) > 0;
  const gatewaySql = [
    `SELECT out_request_no AS refund_no, out_trade_no AS payment_no, refund_amount AS amount
       FROM sandbox_refund WHERE status = 'SUCCESS'`,
    ...(wechat
      ? [`SELECT out_refund_no, out_trade_no, refund FROM sandbox_wechat_refund WHERE status = 'SUCCESS'`]
      : []),
    ...(unionpay
      ? [
          `SELECT r.order_id, t.order_id, r.txn_amt FROM sandbox_unionpay_txn r
             JOIN sandbox_unionpay_txn t ON t.query_id = r.orig_qry_id AND t.txn_type = '01'
            WHERE r.txn_type = '04' AND r.status = 'SUCCESS'`,
        ]
      : []),
  ].join(' UNION ALL ');
  const gateway = await rows<{ refund_no: string; payment_no: string; amount: number }>(c, gatewaySql);
  const local = await rows<{ refund_no: string; payment_no: string; amount: number; status: string }>(
    c,
    "SELECT refund_no, payment_no, amount, status FROM t_refund WHERE channel <> 'wallet'",
  );
  const localByNo = new Map(local.map((r) => [String(r.refund_no), r]));
  const gatewayNos = new Set<string>();
  const bad: Array<Record<string, unknown>> = [];
  let gatewayFen = 0;
  for (const g of gateway) {
    gatewayNos.add(String(g.refund_no));
    gatewayFen += Number(g.amount);
    const l = localByNo.get(String(g.refund_no));
    if (
      !l ||
      l.status !== 'SUCCEEDED' ||
      Number(l.amount) !== Number(g.amount) ||
      l.payment_no !== g.payment_no
    ) {
      bad.push({ gateway: g, local: l ?? null });
    }
  }
  let localFen = 0;
  let pending = 0;
  for (const l of local) {
    if (l.status === 'PENDING') pending++;
    if (l.status !== 'SUCCEEDED') continue;
    localFen += Number(l.amount);
    if (!gatewayNos.has(String(l.refund_no))) bad.push({ gateway: null, local: l });
  }
  out.push({
    name: 'gateway refunds = local SUCCEEDED refunds (to the fen), none PENDING',
    violations: bad.length + pending,
    detail:
      `${gateway.length} refunds at the sandbox (${gatewayFen} fen), ${local.filter((l) => l.status === 'SUCCEEDED').length} SUCCEEDED here (${localFen} fen), ${pending} PENDING` +
      (bad.length ? `; e.g. ${sample(bad)}` : ''),
  });
  return out;
}
