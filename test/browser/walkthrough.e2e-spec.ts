/// <reference lib="dom" />
// (page.evaluate callbacks run in the browser: they use DOM types)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Locator, Page } from 'playwright-core';
import { createTestApp, TestApp } from '../utils/test-app';

/**
 * README steps 1–8, clicked in Swagger UI in a real (headless) browser, as a newcomer would: open the
 * operation, Try it out, type the README's body, Execute, read the answer. Every request and body below
 * must appear in the README walk-through word for word, so the README and this test cannot drift apart.
 * Chromium is Debian's (`apt-get install -y chromium`, done by .ci/run); without it this test fails.
 * Screenshots of every step: test-output/browser/ (ignored by git). Issue 14.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', 'test-output', 'browser');
const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
/** Long enough for a loaded CI machine; every wait is for a specific element, never a fixed sleep. */
const WAIT = 20_000;

const flat = (s: string) => s.replace(/\s+/g, ' ');
const walkthrough = flat(
  README.slice(
    README.indexOf('## A first order and payment, by hand from Swagger'),
    README.indexOf('## How the promises are kept'),
  ),
);

/** What the README says for a step: the test clicks exactly this. */
function readme(text: string): string {
  expect({ readmeSays: flat(text), found: walkthrough.includes(flat(text)) }).toEqual({
    readmeSays: flat(text),
    found: true,
  });
  return text;
}

interface Answer {
  status: number;
  body: any;
  headers: Record<string, string>;
}

// about 50 s alone; generous for a loaded CI machine (every wait inside is for a specific element)
jest.setTimeout(180_000);

/** Polls `read` until `ok` holds (a wait for a specific state, not a sleep); fails with the last value. */
async function until<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  intervals = [100, 250, 500],
) {
  const deadline = Date.now() + WAIT;
  let last: T;
  for (let i = 0; ; i++) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`waited ${WAIT} ms for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervals[Math.min(i, intervals.length - 1)]));
  }
}

describe('README walk-through in Swagger UI (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let shot = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set CHROMIUM_PATH. ` +
          'This test does not skip.',
      );
    }
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(WAIT);
  });
  afterAll(async () => {
    console.log(`walk-through timeline (screenshots in ${SHOTS}):\n${timeline.join('\n')}`);
    await browser?.close();
    await t?.close();
  });

  const started = Date.now();
  const timeline: string[] = [];
  const snap = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`) });
    timeline.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${name}`);
  };

  /** The operation block of `tag` for `METHOD /path`, opened, with Try it out pressed. */
  async function open(tag: string, method: string, path: string): Promise<Locator> {
    const op = page
      .locator(`[id^="operations-${tag}-"]`)
      .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
      .filter({ has: page.locator('.opblock-summary-method', { hasText: new RegExp(`^${method}$`) }) });
    await op.waitFor(); // exactly one (Playwright locators are strict)
    // collapse the operations of earlier steps, as a person scrolling on would: Swagger UI re-renders every
    // open operation on each change, so a page full of open ones gets slow
    // The toggles are DOM clicks on Swagger UI's own toggle button, each followed by a wait for the block's new
    // state: a Playwright click first waits for the target to be visible and "stable", and an open block left
    // behind by an earlier step (hidden, or moving while the page re-renders) once held that wait past its 20 s
    // on a loaded CI machine, although nothing about the page was wrong.
    const id = (await op.getAttribute('id')) as string;
    const toggle = (block: Locator) =>
      block.evaluate((el) => (el.querySelector('.opblock-summary-control') as HTMLElement).click());
    for (const other of await page.locator('.opblock.is-open').all()) {
      const otherId = await other.getAttribute('id');
      if (otherId === id) continue;
      await toggle(other);
      await page.locator(`[id="${otherId}"].is-open`).waitFor({ state: 'detached' });
    }
    if (!(await op.evaluate((el) => el.classList.contains('is-open')))) {
      await toggle(op);
      await page.locator(`[id="${id}"].is-open`).waitFor();
    }
    await op.scrollIntoViewIfNeeded();
    // once pressed, "Try it out" turns into Cancel (and Reset): pressed again only when it is there
    const tryOut = op.locator('button.try-out__btn', { hasText: 'Try it out' });
    if (await tryOut.count()) await tryOut.click();
    await op.locator('button.execute').waitFor();
    return op;
  }

  async function body(op: Locator, json: string) {
    const area = op.locator('textarea.body-param__text');
    await area.fill(json);
  }

  async function param(op: Locator, name: string, value: string) {
    await op.locator(`tr[data-param-name="${name}"] input`).fill(value);
  }

  /** The server response Swagger UI shows under the operation (status, parsed body, headers). */
  async function shown(op: Locator): Promise<Answer | null> {
    const live = op.locator('.live-responses-table tr.response');
    if ((await live.count()) === 0) return null;
    return live.first().evaluate((row) => {
      const status = Number(row.querySelector('.response-col_status')?.textContent?.trim());
      let bodyText = '';
      let headerLines: string[] = [];
      for (const h5 of Array.from(row.querySelectorAll('h5'))) {
        const block = h5.parentElement?.querySelector('pre');
        if (h5.textContent?.includes('Response body')) bodyText = block?.textContent ?? '';
        if (h5.textContent?.includes('Response headers')) {
          // one span.headerline per header
          headerLines = Array.from(block?.querySelectorAll('.headerline') ?? []).map(
            (e) => e.textContent ?? '',
          );
        }
      }
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      let parsed: unknown = bodyText;
      try {
        parsed = JSON.parse(bodyText);
      } catch {
        /* not JSON */
      }
      return { status, body: parsed, headers };
    });
  }

  /** Press Execute and wait for a new server response (another X-Request-Id than the one shown before). */
  async function execute(op: Locator, name: string): Promise<Answer> {
    const before = (await shown(op))?.headers['x-request-id'];
    await op.locator('button.execute').click();
    const a = await until(
      () => shown(op),
      (x) => !!x && !!x.headers['x-request-id'] && x.headers['x-request-id'] !== before,
      `a new response to ${name}`,
    );
    await op.locator('.live-responses-table').scrollIntoViewIfNeeded();
    await snap(name);
    return a!;
  }

  /** Authorize (Logout first when a token is set), paste, Authorize, Close: the buttons by their labels. */
  async function authorize(token: string) {
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.waitFor();
    // the dialog says where a token comes from
    expect(await modal.textContent()).toContain('POST /v1/dev/tokens');
    const button = (label: string) => modal.locator('.auth-btn-wrapper button', { hasText: label });
    if (await button('Logout').count()) await button('Logout').click();
    await modal.locator('input[type="text"]').fill(token);
    await button('Authorize').click();
    await button('Logout').waitFor();
    await snap('authorized');
    await button('Close').click();
    await modal.waitFor({ state: 'detached' });
  }

  it('steps 1–8 answer what the README promises', async () => {
    await page.goto(`${t.baseUrl}/docs`);
    await page.locator('.swagger-ui .information-container').waitFor();
    // tags in walk-through order
    const tags = await page
      .locator('.opblock-tag-section h3 .nostyle span, .opblock-tag-section h3 a span')
      .allTextContents();
    expect(tags.slice(0, 6)).toEqual(['dev', 'catalog', 'orders', 'payments', 'sandbox', 'wallet']);
    // public operations have no padlock, protected ones do
    const lockOf = (tag: string, path: string) =>
      page
        .locator(`[id^="operations-${tag}-"]`)
        .filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) })
        .locator('.authorization__btn');
    await lockOf('orders', '/v1/orders').first().waitFor();
    expect(await lockOf('dev', '/v1/dev/tokens').count()).toBe(0);
    expect(await lockOf('catalog', '/v1/products').count()).toBe(1); // GET is public, POST (admin) is not
    await snap('docs');

    // 1. an admin token, Authorize
    readme(
      'Tag **dev**, `POST /v1/dev/tokens` with `{"userId": "admin-1", "role": "admin"}` (example `admin`) → 201',
    );
    let op = await open('dev', 'POST', '/v1/dev/tokens');
    // the example the README names is the one offered first
    expect(JSON.parse(await op.locator('textarea.body-param__text').inputValue())).toEqual({
      userId: 'admin-1',
      role: 'admin',
    });
    await body(op, '{"userId": "admin-1", "role": "admin"}');
    let a = await execute(op, 'step1-admin-token');
    expect(a.status).toBe(201);
    const adminToken = a.body.token as string;
    expect(adminToken).toMatch(/^ey/);
    readme('Press **Authorize** (top right), paste the token, press **Authorize**, then **Close**.');
    await authorize(adminToken);
    readme('the token stays after a reload.');
    await page.reload();
    await page.locator('.swagger-ui .information-container').waitFor();
    await page.locator('.auth-wrapper button.authorize.locked').waitFor();

    // 2. a product
    readme(
      'Tag **catalog**, `POST /v1/products` with `{"sku": "TEA-001", "name": "Longjing tea 250 g", "price": 8800, "stock": 100}` → 201 with `id` 1.',
    );
    op = await open('catalog', 'POST', '/v1/products');
    await body(op, '{"sku": "TEA-001", "name": "Longjing tea 250 g", "price": 8800, "stock": 100}');
    a = await execute(op, 'step2-product');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ id: 1, sku: 'TEA-001', price: 8800, stock: 100 });

    // 3. a buyer token, Logout + Authorize
    readme(
      'Tag **dev**, `POST /v1/dev/tokens` with `{"userId": "u-1001", "role": "user"}` (example `user`) → 201',
    );
    op = await open('dev', 'POST', '/v1/dev/tokens');
    await body(op, '{"userId": "u-1001", "role": "user"}');
    a = await execute(op, 'step3-user-token');
    expect(a.status).toBe(201);
    readme('Press **Authorize**, **Logout**, paste the new token, press **Authorize**, then **Close**.');
    await authorize(a.body.token);

    // 4. an order, and a double click
    readme(
      'Tag **orders**, `POST /v1/orders` with `{"items": [{"productId": 1, "quantity": 2}]}` → 201 with `orderNo`, `"status": "CREATED"` and `"totalAmount": 17600`.',
    );
    op = await open('orders', 'POST', '/v1/orders');
    expect(await op.locator('tr[data-param-name="Idempotency-Key"] input').inputValue()).toBe('');
    await body(op, '{"items": [{"productId": 1, "quantity": 2}]}');
    a = await execute(op, 'step4-order');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ status: 'CREATED', totalAmount: 17600 });
    const orderNo = a.body.orderNo as string;
    readme(
      'Press **Execute** again at once → 409 with `"code": "DUPLICATE_SUBMIT"` and the same `orderNo` in `details`',
    );
    a = await execute(op, 'step4-duplicate');
    expect(a.status).toBe(409);
    expect(a.body).toMatchObject({ code: 'DUPLICATE_SUBMIT', details: { orderNo } });

    // 5. pay with Alipay, twice
    readme(
      'Tag **payments**, `POST /v1/orders/{orderNo}/payments` with the `orderNo` of step 4 and `{"channel": "alipay"}` → 201 with `paymentNo` (the `orderNo` + `P01`), `"status": "PENDING"`, `"amount": 17600` and a `qrCode`.',
    );
    const pay = async (no: string, channel: string, name: string) => {
      const p = await open('payments', 'POST', '/v1/orders/{orderNo}/payments');
      await param(p, 'orderNo', no);
      await body(p, `{"channel": "${channel}"}`);
      return { op: p, a: await execute(p, name) };
    };
    let paid = await pay(orderNo, 'alipay', 'step5-payment');
    expect(paid.a.status).toBe(201);
    expect(paid.a.body).toMatchObject({ paymentNo: `${orderNo}P01`, status: 'PENDING', amount: 17600 });
    expect(paid.a.body.qrCode).toEqual(expect.any(String));
    const paymentNo = paid.a.body.paymentNo as string;
    readme('Press **Execute** again → 200 with the same `paymentNo`.');
    a = await execute(paid.op, 'step5-payment-again');
    expect(a.status).toBe(200);
    expect(a.body.paymentNo).toBe(paymentNo);

    // 6. the buyer pays in the sandbox
    readme(
      'Tag **sandbox** (play the buyer), `POST /sandbox/alipay/trades/{outTradeNo}/pay` with the `paymentNo` as `outTradeNo` and `{"notify": {"mode": "normal"}}` (example `normal`) → 200 with `"status": "TRADE_SUCCESS"`.',
    );
    const buyerPays = async (no: string, name: string) => {
      const p = await open('sandbox', 'POST', '/sandbox/alipay/trades/{outTradeNo}/pay');
      await param(p, 'outTradeNo', no);
      await body(p, '{"notify": {"mode": "normal"}}');
      return execute(p, name);
    };
    a = await buyerPays(paymentNo, 'step6-buyer-pays');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ outTradeNo: paymentNo, status: 'TRADE_SUCCESS' });

    // 7. the order is paid (Execute again while the notify is on its way, as the README says)
    readme(
      'Tag **orders**, `GET /v1/orders/{orderNo}` → `"status": "PAID"` (still `PAYING`? the notify takes a moment: **Execute** again).',
    );
    op = await open('orders', 'GET', '/v1/orders/{orderNo}');
    await param(op, 'orderNo', orderNo);
    const untilStatus = async (o: Locator, want: string, name: string) => {
      return until(
        () => execute(o, name),
        (x) => x.body.status === want,
        `${want} from ${name}`,
        [300, 500, 1000],
      );
    };
    await untilStatus(op, 'PAID', 'step7-order-paid');
    readme('Tag **payments**, `GET /v1/payments/{paymentNo}` → `"status": "SUCCESS"`.');
    op = await open('payments', 'GET', '/v1/payments/{paymentNo}');
    await param(op, 'paymentNo', paymentNo);
    a = await execute(op, 'step7-payment');
    expect(a.status).toBe(200);
    expect(a.body.status).toBe('SUCCESS');
    readme(
      '`GET /sandbox/alipay/trades/{outTradeNo}` → `attempts` lists every notify sent, with `"outcome": "ACKED"` and `"responseBody": "success"`',
    );
    op = await open('sandbox', 'GET', '/sandbox/alipay/trades/{outTradeNo}');
    await param(op, 'outTradeNo', paymentNo);
    a = await execute(op, 'step7-sandbox-trade');
    expect(a.status).toBe(200);
    expect(a.body.attempts).toEqual(
      expect.arrayContaining([expect.objectContaining({ outcome: 'ACKED', responseBody: 'success' })]),
    );

    // 8. a recharge with an Idempotency-Key, replayed; paid; the wallet pays the next order
    readme(
      'Tag **wallet**, `POST /v1/recharges` with `{"amount": 10000}` and `Idempotency-Key` `recharge-u-1001-1` → 201 with a `RECHARGE` order.',
    );
    op = await open('wallet', 'POST', '/v1/recharges');
    await param(op, 'Idempotency-Key', 'recharge-u-1001-1');
    await body(op, '{"amount": 10000}');
    a = await execute(op, 'step8-recharge');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ type: 'RECHARGE', totalAmount: 10000 });
    expect(a.headers['idempotent-replayed']).toBeUndefined();
    const rechargeNo = a.body.orderNo as string;
    readme(
      'Press **Execute** again → 201 with the same `orderNo` and the response header `idempotent-replayed: true`',
    );
    a = await execute(op, 'step8-recharge-replayed');
    expect(a.status).toBe(201);
    expect(a.body.orderNo).toBe(rechargeNo);
    expect(a.headers['idempotent-replayed']).toBe('true');
    readme('Pay it as in steps 5–6; then `GET /v1/account` → `"balance": 10000`.');
    paid = await pay(rechargeNo, 'alipay', 'step8-recharge-payment');
    expect(paid.a.status).toBe(201);
    a = await buyerPays(paid.a.body.paymentNo, 'step8-recharge-buyer-pays');
    expect(a.body.status).toBe('TRADE_SUCCESS');
    op = await open('wallet', 'GET', '/v1/account');
    await until(
      () => execute(op, 'step8-balance'),
      (x) => x.body.balance === 10000,
      'balance 10000',
      [300, 500, 1000],
    );
    readme(
      'A later order, `{"items": [{"productId": 1, "quantity": 1}]}`, paid with `{"channel": "wallet"}` → 201 with `"status": "SUCCESS"` at once, and the balance is 1200.',
    );
    const order = await open('orders', 'POST', '/v1/orders');
    await body(order, '{"items": [{"productId": 1, "quantity": 1}]}');
    a = await execute(order, 'step8-later-order');
    expect(a.status).toBe(201);
    paid = await pay(a.body.orderNo, 'wallet', 'step8-wallet-payment');
    expect(paid.a.status).toBe(201);
    expect(paid.a.body).toMatchObject({ channel: 'wallet', status: 'SUCCESS', amount: 8800 });
    op = await open('wallet', 'GET', '/v1/account');
    a = await execute(op, 'step8-balance-after');
    expect(a.body.balance).toBe(1200);
  });
});
