import { Api } from './api';
import { armUnionpayFaults } from './chaos-channels';
import { GATEWAY_CHANNELS, MODES, PAY_PATH, Stats, UNTRUSTED_MODES } from './chaos-support';
import { PaidOrder } from './refund-flow';

/**
 * The chaos run's storefront and transfer sessions (bench/chaos.ts runs them on its workers; late money
 * is bench/lib/late-money-chaos.ts', payouts bench/lib/payout-chaos.ts').
 */

/** One transfer: create (keyed), then two executes at once (a client retry), a cancel racing one in 5. */
export async function transferFlow(pick: () => Api, token: string, to: string, stats: Stats, tag: string) {
  const created = await pick().call<{ transferNo: string }>(
    'POST',
    '/v1/transfers',
    { toUserId: to, amount: 1 + Math.floor(Math.random() * 300), memo: tag },
    { token, headers: { 'Idempotency-Key': `chaos-transfer-${tag}-${Date.now()}` }, timeoutMs: 5000 },
  );
  stats.inc(`transfer-create:${created.status}`);
  if (created.status !== 201) return;
  const no = created.body.transferNo;
  const exec = () =>
    pick().call('POST', `/v1/transfers/${no}/execute`, undefined, { token, timeoutMs: 5000 });
  const calls = [exec(), exec()];
  if (Math.random() < 0.2) {
    calls.push(pick().call('POST', `/v1/transfers/${no}/cancel`, undefined, { token, timeoutMs: 5000 }));
  }
  for (const r of await Promise.allSettled(calls)) {
    stats.inc(`transfer-call:${r.status === 'fulfilled' ? r.value.status : 'error'}`);
  }
}

/**
 * One storefront session: a goods order or a recharge, paid on Alipay, WeChat or UnionPay (their
 * sandboxes) or from the wallet; sometimes the buyer first asks for another gateway channel and then
 * switches. About a third of the paid ones are handed to the refund workers.
 */
export async function flow(
  pick: () => Api,
  token: string,
  products: number[],
  stats: Stats,
  dropAll: () => boolean,
  tag: string,
  onPaid: (o: PaidOrder) => void,
): Promise<void> {
  const r = Math.random();
  const api = pick();
  const created =
    r < 0.25
      ? await api.call<{ orderNo: string; totalAmount: number }>(
          'POST',
          '/v1/recharges',
          { amount: 500 + Math.floor(Math.random() * 5000) },
          { token, timeoutMs: 5000 },
        )
      : await api.call<{ orderNo: string; totalAmount: number }>(
          'POST',
          '/v1/orders',
          {
            items: [
              {
                productId: products[Math.floor(Math.random() * products.length)],
                quantity: 1 + Math.floor(Math.random() * 3),
              },
            ],
            remark: tag,
          },
          { token, timeoutMs: 5000 },
        );
  stats.inc(`${r < 0.25 ? 'recharge' : 'submit'}:${created.status}`);
  if (created.status !== 201) return;
  const orderNo = created.body.orderNo;
  const refundLater = () => {
    if (Math.random() < 0.35) onPaid({ orderNo, total: created.body.totalAmount, token, at: Date.now() });
  };
  if (Math.random() < 0.1) {
    const c = await pick().call('POST', `/v1/orders/${orderNo}/cancel`, {}, { token, timeoutMs: 5000 });
    stats.inc(`cancel:${c.status}`);
    return;
  }
  const gateway = GATEWAY_CHANNELS[Math.floor(Math.random() * GATEWAY_CHANNELS.length)];
  const channel = r >= 0.25 && Math.random() < 0.2 ? 'wallet' : gateway;
  if (channel !== 'wallet' && Math.random() < 0.1) {
    // the buyer asks for another channel first, then switches (the first trade is closed first)
    const others = GATEWAY_CHANNELS.filter((ch) => ch !== channel);
    const other = others[Math.floor(Math.random() * others.length)];
    const first = await pick().call(
      'POST',
      `/v1/orders/${orderNo}/payments`,
      { channel: other },
      {
        token,
        timeoutMs: 8000,
      },
    );
    stats.inc(`prepay-${other}-first:${first.status}`);
  }
  // a retried pre-pay must reuse its payment: sometimes send it twice, to two instances
  const pays = await Promise.all(
    (Math.random() < 0.2 ? [pick(), pick()] : [pick()]).map((a) =>
      a.call<{ paymentNo: string }>(
        'POST',
        `/v1/orders/${orderNo}/payments`,
        { channel },
        { token, timeoutMs: 8000 },
      ),
    ),
  );
  pays.forEach((p) => stats.inc(`prepay-${channel}:${p.status}`));
  const ok = pays.find((p) => p.status === 200 || p.status === 201);
  if (ok && channel === 'wallet') refundLater();
  if (!ok || channel === 'wallet' || Math.random() < 0.1) return; // some trades are never paid
  if (channel === 'unionpay') {
    const armed = await armUnionpayFaults(pick(), ok.body.paymentNo);
    if (armed !== undefined) stats.inc(`sandbox-faults-unionpay:${armed}`);
  }
  const modes = MODES[channel];
  const mode = dropAll() ? 'drop' : modes[Math.floor(Math.random() * modes.length)];
  const paid = await pick().call(
    'POST',
    PAY_PATH[channel](ok.body.paymentNo),
    { notify: { mode } },
    { timeoutMs: 5000 },
  );
  stats.inc(`sandbox-pay-${channel}:${paid.status}`);
  if (paid.status === 200 && !UNTRUSTED_MODES.includes(mode)) refundLater();
}
