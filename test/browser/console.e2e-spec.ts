/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { eventually } from '../factories/order.factory';
import { newOrder, paymentRow, prepay, sandboxPay } from '../payment-helpers';
import { paidOrder } from '../refund-helpers';
import { createTestApp, TestApp } from '../utils/test-app';
import { WebhookReceiver } from '../webhook-receiver';
import { PaymentQueryProcessor } from '../../src/payment/payment-query.processor';
import { WalletService } from '../../src/wallet';
import { seedWallet } from '../ledger-helpers';

/**
 * The operators' console (/console, issue 24) in a real headless Chromium, over the admin REST API:
 * sign in with the sandbox's dev admin token, see a late payment's anomaly turn AUTO_REFUNDED, approve a
 * buyer's refund request, resolve an anomaly, open a payment's timeline; register a webhook endpoint on
 * a real receiver (its secret shown once), see a paid order's delivery and redeliver it, rotate, delete;
 * at laptop and phone widths.
 * Screenshots: test-output/console/ (ignored by git). Chromium as in walkthrough.e2e-spec.ts; no skip.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const SHOTS = join(ROOT, 'test-output', 'console');
const WAIT = 30_000;
jest.setTimeout(240_000);

describe('operators’ console (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let shot = 0;
  const snap = async (name: string) =>
    page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH. No skip.`,
      );
    }
    // npm test builds the console first (pretest); a single run of this file builds it when missing
    if (!existsSync(join(ROOT, 'console', 'dist', 'index.html'))) {
      execFileSync('npx', ['vite', 'build', '--config', 'console/vite.config.mjs'], {
        cwd: ROOT,
        stdio: 'inherit',
      });
    }
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({
      env: {
        SANDBOX_TIME_SCALE: '0.001',
        OUTBOX_POLL_MS: '100',
        PAYMENT_QUERY_DELAYS_MS: '600000',
        EVENTS_POLL_MS: '100',
        PAYOUT_REVIEW_ABOVE: '100000',
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(WAIT);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Polls the card's text (reloading the list with Refresh) until it shows `text`. */
  async function untilCard(selector: string, text: string) {
    const deadline = Date.now() + WAIT;
    for (;;) {
      const card = page.locator(selector);
      if ((await card.count()) && (await card.innerText()).includes(text)) return card;
      if (Date.now() > deadline) throw new Error(`waited for ${selector} to show ${text}`);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(300);
    }
  }

  it('sign in, late money AUTO_REFUNDED, approve a refund request, resolve an anomaly, a payment’s timeline', async () => {
    // the facts an operator will find: late money, a mismatch for a person, a buyer's refund request
    const late = await newOrder(t, 6600);
    const lp = (await prepay(t, late.userId, late.orderNo).expect(201)).body;
    await t
      .http()
      .post(`/v1/orders/${late.orderNo}/cancel`)
      .set('Authorization', t.bearer(late.userId))
      .expect(200);
    await sandboxPay(t, lp.paymentNo, { allowAfterClose: true }).expect(200);
    const odd = await newOrder(t, 4400);
    const op = (await prepay(t, odd.userId, odd.orderNo).expect(201)).body;
    await sandboxPay(t, op.paymentNo, { notify: { mode: 'amount_mismatch' } }).expect(200);
    const bought = await paidOrder(t, 3000);
    const request = await t
      .http()
      .post(`/v1/orders/${bought.orderNo}/refund-requests`)
      .set('Authorization', t.bearer(bought.userId))
      .send({ reason: 'arrived broken' })
      .expect(201);
    await eventually(async () => (await paymentRow(t, lp.paymentNo))?.status === 'SUCCESS', WAIT, 50);

    // sign in: the sandbox mints a dev admin token; the token is never shown
    await page.goto(`${t.baseUrl}/console`);
    await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).waitFor();
    await snap('sign-in');
    await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.locator('.kpi').first().waitFor();
    await page.locator('canvas').first().waitFor();
    expect(await page.locator('body').innerText()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no token on the page
    await snap('overview');

    // anomalies: the late payment's goes AUTO_REFUNDED by itself
    await page.locator('nav').getByRole('link', { name: 'Anomalies' }).click();
    await page.getByLabel('Status').selectOption('');
    const lateCard = await untilCard(`[data-payment="${lp.paymentNo}"]`, 'AUTO_REFUNDED');
    expect(await lateCard.innerText()).toContain(`RA${lp.paymentNo}`);
    await snap('anomaly-auto-refunded');

    // resolve the amount mismatch with a note
    await page.getByLabel('Status').selectOption('OPEN');
    const oddCard = await untilCard(`[data-payment="${op.paymentNo}"]`, 'AMOUNT_MISMATCH');
    await oddCard.locator('input[name="note"]').fill('checked the merchant portal: nothing was taken');
    await snap('anomaly-resolving');
    await oddCard.getByRole('button', { name: 'Resolve' }).click();
    await page.locator(`[data-payment="${op.paymentNo}"]`).waitFor({ state: 'detached' });
    const [row] = await t.dataSource.query(
      'SELECT status, resolution_note FROM t_payment_anomaly WHERE payment_no = ?',
      [op.paymentNo],
    );
    expect(row).toEqual({
      status: 'RESOLVED',
      resolution_note: 'checked the merchant portal: nothing was taken',
    });
    await page.getByLabel('Status').selectOption('RESOLVED');
    await untilCard(`[data-payment="${op.paymentNo}"]`, 'RESOLVED');
    await snap('anomaly-resolved');

    // refund requests: approve the buyer's
    await page.locator('nav').getByRole('link', { name: 'Refund requests' }).click();
    const req = await untilCard(`[data-request="${request.body.requestNo}"]`, 'arrived broken');
    await snap('refund-request-open');
    await req.getByRole('button', { name: 'Approve' }).click();
    await page.getByLabel('Status').selectOption('APPROVED');
    await untilCard(`[data-request="${request.body.requestNo}"]`, 'APPROVED');
    const [rr] = await t.dataSource.query(
      'SELECT status, refund_no FROM t_refund_request WHERE request_no = ?',
      [request.body.requestNo],
    );
    expect(rr.status).toBe('APPROVED');
    expect(rr.refund_no).toMatch(/^R\d+/);
    await snap('refund-request-approved');

    // reconciliation: run today's, see it listed
    await page.locator('nav').getByRole('link', { name: 'Reconciliation' }).click();
    await page.getByRole('button', { name: 'Reconcile now' }).click();
    await page.locator('.card', { hasText: 'requested' }).first().waitFor();
    await snap('reconciliation');

    // a payment's timeline, found by its order number
    await page.locator('nav').getByRole('link', { name: 'Payments' }).click();
    await page.locator('input[name="q"]').fill(late.orderNo);
    await page.getByRole('button', { name: 'Find' }).click();
    const tl = page.locator(`[data-timeline="${lp.paymentNo}"]`);
    await tl.waitFor();
    for (const type of [
      'payment.created',
      'order.cancelled',
      'notify',
      'payment.succeeded',
      'anomaly.opened',
      'refund.succeeded',
      'anomaly.auto_refunded',
    ]) {
      await tl
        .locator('.type', { hasText: new RegExp(`^${type.replace('.', '\\.')}$`) })
        .first()
        .waitFor();
    }
    await snap('timeline');

    // phone width: the same pages fit
    await page.setViewportSize({ width: 390, height: 844 });
    await snap('timeline-phone');
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(scroll).toBeLessThanOrEqual(1);
    await page.locator('nav').getByRole('link', { name: 'Overview' }).click();
    await page.locator('canvas').first().waitFor();
    await snap('overview-phone');
    await page.locator('nav').getByRole('link', { name: 'Anomalies' }).click();
    await page.getByLabel('Status').selectOption('');
    await page.locator('.cards .card').first().waitFor();
    await snap('anomalies-phone');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);
  });

  it('webhooks: register on a real receiver (secret shown once), a paid order’s delivery, redeliver, rotate, delete', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${t.baseUrl}/console`);
      await page.evaluate(() => sessionStorage.clear());
      await page.goto(`${t.baseUrl}/console#/webhooks`);
      await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).click();
      await page.getByRole('heading', { name: 'Webhooks' }).waitFor();

      // register: the secret is shown this once, and it is the one the endpoint signs with
      await page.getByLabel('endpoint URL').fill(receiver.url);
      await page.getByLabel('events').fill('order.paid');
      await page.getByRole('button', { name: 'Register' }).click();
      const once = page.locator('.secret-once');
      await once.waitFor();
      const secret = (await once.locator('code.secret').innerText()).trim();
      expect(secret).toMatch(/^whsec_/);
      const id = (await once.getAttribute('data-secret-for'))!;
      const [ep] = await t.dataSource.query(
        'SELECT url, events, secret FROM t_webhook_endpoint WHERE id = ?',
        [id],
      );
      expect(ep.secret).toBe(secret);
      expect(ep.url).toBe(receiver.url);
      await page.locator(`[data-endpoint="${id}"]`).waitFor();
      await snap('webhook-registered');
      await page.getByRole('button', { name: 'I have copied it' }).click();
      await once.waitFor({ state: 'detached' });
      expect(await page.content()).not.toContain(secret); // never again: not listed, not kept in the page
      expect(await page.locator('body').innerText()).not.toMatch(/whsec_/);

      // a paid order is delivered to the receiver; the page shows the attempt
      const bought = await paidOrder(t, 2500);
      await eventually(
        async () =>
          receiver.of((r) => r.json.type === 'order.paid' && r.json.data.orderNo === bought.orderNo)
            .length === 1,
        WAIT,
        50,
      );
      const [first] = receiver.of((r) => r.json.data.orderNo === bought.orderNo);
      const card = page.locator(`[data-endpoint="${id}"]`);
      await card.getByRole('button', { name: 'Deliveries' }).click();
      const deliveries = page.locator(`[data-deliveries="${id}"]`);
      const attempt = deliveries.locator(`[data-event="${first.eventId}"]`);
      for (const deadline = Date.now() + WAIT; !(await attempt.count());) {
        if (Date.now() > deadline) throw new Error('the delivery never showed');
        await deliveries.getByRole('button', { name: 'Refresh deliveries' }).click();
        await page.waitForTimeout(300);
      }
      expect(await attempt.first().innerText()).toMatch(/order\.paid[\s\S]*delivered[\s\S]*try 1 · 200/);
      await snap('webhook-deliveries');

      // redeliver: the same event, the same bytes, once more; listed as a second attempt
      await attempt.first().getByRole('button', { name: 'Redeliver' }).click();
      await deliveries
        .locator('.ok-note', { hasText: `${first.eventId} sent again to 1 endpoint(s)` })
        .waitFor();
      await eventually(async () => receiver.of((r) => r.eventId === first.eventId).length === 2, WAIT, 50);
      expect(receiver.of((r) => r.eventId === first.eventId).map((r) => r.body)).toEqual([
        first.body,
        first.body,
      ]);
      for (const deadline = Date.now() + WAIT; (await attempt.count()) < 2;) {
        if (Date.now() > deadline) throw new Error('the redelivery never showed');
        await deliveries.getByRole('button', { name: 'Refresh deliveries' }).click();
        await page.waitForTimeout(300);
      }
      await snap('webhook-redelivered');

      // phone width: it fits, and no secret anywhere
      await page.setViewportSize({ width: 390, height: 844 });
      await snap('webhooks-phone');
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(1);
      expect(await page.locator('body').innerText()).not.toMatch(/whsec_/);
      await page.setViewportSize({ width: 1280, height: 800 });

      // rotate: the new secret once; then delete (asked twice)
      await card.getByRole('button', { name: 'Rotate secret' }).click();
      await once.waitFor();
      const rotated = (await once.locator('code.secret').innerText()).trim();
      const [after] = await t.dataSource.query(
        'SELECT secret, previous_secret FROM t_webhook_endpoint WHERE id = ?',
        [id],
      );
      expect(after).toEqual({ secret: rotated, previous_secret: secret });
      await snap('webhook-rotated');
      await page.getByRole('button', { name: 'I have copied it' }).click();
      await once.waitFor({ state: 'detached' });
      expect(await page.content()).not.toContain(rotated);
      await card.getByRole('button', { name: 'Delete' }).click();
      await card.getByRole('button', { name: 'Confirm delete' }).click();
      await card.waitFor({ state: 'detached' });
      const list = await t
        .http()
        .get('/v1/admin/webhook-endpoints')
        .set('Authorization', t.bearer('ops', 'admin'))
        .expect(200);
      expect(list.body.map((e: { id: string }) => e.id)).not.toContain(id);
      await snap('webhooks-deleted');
    } finally {
      await receiver.stop();
    }
  });

  it('a dropped notify found by the active query: the timeline shows each query with its answer', async () => {
    const o = await newOrder(t, 1800);
    const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    // the query job, run now (its Bull delay is 10 min here): the buyer has not scanned yet (Alipay: NOT_EXIST), then has paid
    const query = t.app.get(PaymentQueryProcessor);
    const job = (n: number) => ({ data: { paymentNo: p.paymentNo, n, createdAtMs: Date.now() } }) as never;
    await query.handle(job(1));
    await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    await query.handle(job(2));
    expect((await paymentRow(t, p.paymentNo))?.status).toBe('SUCCESS');

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${t.baseUrl}/console#/payments`);
    if (await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).isVisible())
      await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).click();
    await page.locator('input[name="q"]').fill(o.orderNo);
    await page.getByRole('button', { name: 'Find' }).click();
    const tl = page.locator(`[data-timeline="${p.paymentNo}"]`);
    await tl.waitFor();
    const queries = tl.locator('.ev.query');
    await queries.nth(1).waitFor();
    expect(await queries.count()).toBe(2);
    expect(await queries.nth(0).innerText()).toMatch(/query 1 asked alipay → NOT_EXIST · answered /);
    expect(await queries.nth(1).innerText()).toMatch(/query 2 asked alipay → PAID \(applied\) · answered /);
    expect(await tl.locator('.ev.notify').count()).toBe(0);
    await snap('timeline-queries');
    await page.setViewportSize({ width: 390, height: 844 });
    await snap('timeline-queries-phone');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);
  });

  it('payouts in review: approve one (it is sent), reject one with a reason (the money goes back)', async () => {
    const u = `u-payout-${Date.now()}`;
    await seedWallet(t, u, 600000);
    const payee = `p${Date.now()}@example.com`;
    await t.http().put(`/sandbox/payouts/payees/alipay/${payee}`).send({ name: '张三' }).expect(200);
    const ask = async (key: string) =>
      (
        await t
          .http()
          .post('/v1/payouts')
          .set('Authorization', t.bearer(u))
          .set('Idempotency-Key', key)
          .send({ channel: 'alipay', account: { identity: payee, name: '张三' }, amount: 200000 })
          .expect(201)
      ).body as { payoutNo: string; status: string };
    const [ok, no] = [await ask(`pa-${u}`), await ask(`pb-${u}`)];
    expect([ok.status, no.status]).toEqual(['REVIEW', 'REVIEW']);

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${t.baseUrl}/console#/payouts`);
    if (await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).isVisible())
      await page.getByRole('button', { name: 'Sandbox: mint a dev admin token' }).click();
    await page.getByRole('heading', { name: 'Payouts' }).waitFor();
    const okCard = await untilCard(`[data-payout="${ok.payoutNo}"]`, 'REVIEW');
    const noCard = await untilCard(`[data-payout="${no.payoutNo}"]`, 'REVIEW');
    expect(await okCard.innerText()).toContain(`${payee} (张三)`);
    await snap('payouts-review');
    await okCard.getByRole('button', { name: 'Approve' }).click();
    await okCard.waitFor({ state: 'detached' });
    await noCard.locator('input[name="reject-reason"]').fill('payee not verified');
    await noCard.getByRole('button', { name: 'Reject' }).click();
    await noCard.waitFor({ state: 'detached' });
    const status = async (n: string) =>
      (await t.dataSource.query('SELECT status, failed_reason FROM t_payout WHERE payout_no = ?', [n]))[0];
    await eventually(async () => (await status(ok.payoutNo)).status === 'SUCCEEDED', WAIT, 100);
    expect(await status(no.payoutNo)).toEqual({
      status: 'FAILED',
      failed_reason: expect.stringMatching(/^REJECTED by console-admin: payee not verified$/),
    });
    expect((await t.app.get(WalletService).getAccount(u)).balance).toBe(400000); // the rejected 2,000 back
    await page.getByLabel('Status').selectOption('');
    await untilCard(`[data-payout="${ok.payoutNo}"]`, 'SUCCEEDED');
    await untilCard(`[data-payout="${no.payoutNo}"]`, 'payee not verified');
    await snap('payouts-decided');
    await page.setViewportSize({ width: 390, height: 844 });
    await snap('payouts-phone');
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(1);
  });

  it('serves the page with a strict CSP; unknown assets are 404; the API behind it stays admin-only', async () => {
    const res = await t.http().get('/console').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    await t.http().get('/console/assets/..%2Fpackage.json').expect(404);
    await t.http().get('/console/assets/nope.js').expect(404);
    const user = await t.http().get('/v1/admin/stats').set('Authorization', t.bearer('u-console'));
    expect([user.status, user.body.code]).toEqual([403, 'FORBIDDEN']);
  });
});
