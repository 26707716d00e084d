/** The explanatory part of docs/benchmarks.md; a full bench run writes it after the table. */
export const BENCH_NOTES = `## How the bench runs

\`npm run bench\` builds the app and runs \`dist/bench/bench.js\`. The script:

- starts its own instances as child processes (\`node dist/src/main.js\`) with
  \`LOG_LEVEL=warn\` and \`BENCH_ROUTES=true\`, on free ports, with a fresh database that has a random
  name (the app creates and migrates it) and a Redis key prefix of its own
- drives the load with autocannon's programmatic API
- prints the table and, after a full run, rewrites this file
- stops the instances, drops the database and deletes the prefix's keys at the end, also on an
  error or Ctrl-C

\`npm run bench -- --quick\` uses 3 s loads and fewer variants: fewer callback trades, and only the
\`unique_key\` and \`check_then_act\` strategies. It is meant for a smoke check and does not write this
file. \`-- --no-write\` runs the full set without writing it. \`BENCH_KEEP_DB=1\` keeps the database so
you can look at it afterwards, and \`BENCH_VERBOSE=1\` streams the instances' logs.

Two settings change the instances for the bench, and both are printed here on purpose:

- \`SUBMIT_DEDUP_WINDOW_MS=600000\`: a duplicate storm lasts longer than the default 10 s window,
  and a duplicate must never be accepted late because the window ran out during the measurement.
- \`PAYMENT_QUERY_DELAYS_MS=600000\`: the callback rows pre-create thousands of payments within
  seconds. Their active queries (10/20/30 s after pre-pay) would otherwise land inside later rows
  and be counted as those rows' cost. Active queries are what \`npm run chaos\` exercises.

## The ceilings, and why every ratio uses a ceiling measured just before it

The targets are ratios to a *ceiling*: the same Nest pipeline doing only the named work. The
ceiling routes exist only when \`BENCH_ROUTES=true\`, which config validation refuses in
production. They live in \`src/bench-support/\`.

| route | work |
|---|---|
| \`GET /bench/noop\` | the whole Nest pipeline (global JWT guard on a public route, validation pipe, filter, metrics hook) and nothing else |
| \`GET /bench/auth/noop\` | the same behind HS256 bearer verification, which every business route pays |
| \`POST /bench/tx\` | validation, Redis \`SET NX PX\`, then \`TransactionService.run\` with one INSERT of a unique ref (\`t_bench_ceiling\`) |
| \`POST /bench/payment-tx\` | \`SET NX\`, then one transaction with the three statements of the payment success path: dedup marker insert (\`t_bench_dedup\`, a copy of \`t_uq_dipose\`), CAS \`UPDATE\` of a payment row, outbox insert (\`t_bench_outbox\`, a copy of \`t_outbox\`) |
| \`POST /bench/auth/tx\`, \`/bench/auth/idem-tx\`, \`/bench/auth/lib-tx\` | the \`/bench/tx\` work behind auth: bare, under oncepay's \`@IdempotentSubmit\`, and under \`@node-idempotency/nestjs\` 1.0.4's \`@Idempotent()\` (storage adapter on the app's ioredis client) |

The bench tables are created with \`CREATE TABLE … LIKE\` the real ones, so the indexes match. They
are kept apart from the real tables because the outbox relay would pick up bench rows in
\`t_outbox\`.

The development machine is shared and has 2 cores, and autocannon runs on the same cores as the
instances. Background load (other test runs) drifts over a run of minutes. For that reason each
business row measures its ceiling again **right before** its own load, and the ratio uses that
back-to-back pair. The ceilings at the top of the table are the first measurements. The load
average at the start and end of the run is printed with the machine. Compare ratios, not absolute
numbers, between machines.

## Rows

- **order submit (distinct orders)**: \`POST /v1/orders\` from 200 users over 200 products with a
  stock of 10⁹, a unique \`remark\` per request (so the content guard never fires), 50
  connections. After the load, MySQL is checked for one order per distinct request. Requests still
  in flight when autocannon stops complete on the server, so up to 50 more orders than counted 201s
  is expected.
- **duplicate submit storm**: one user, one body. First 1,000 requests at once (exactly one may
  create the order), then 50 connections for the row's duration. The number of orders comes from
  MySQL. *MySQL queries per reject* comes from \`SHOW GLOBAL STATUS LIKE 'Questions'\` before and
  after, minus the server's idle rate over an equal window just before (that rate includes the
  app's pollers and anyone else on the shared server).
- **Idempotency-Key replay**: one key and body, repeated. Every answer must be the first
  response's status, with \`Idempotent-Replayed: true\`, and MySQL must hold exactly one order.
- **Idempotency-Key cost**: on the bench route, the bare route against the same route under
  \`@IdempotentSubmit\` with a fresh key per request. On \`POST /v1/orders\`, distinct submits with a
  fresh key against the distinct-submit row (which runs the content guard). The target is at most
  15 % less throughput and at most 3 ms more p99.
- **comparison: @node-idempotency/nestjs**: the same bench route and load under that library's
  interceptor. It is a devDependency, and the bench loads it only when it is installed.
- **callback apply (distinct trades)**: recharge orders with a pending alipay payment are made
  through the API (recharge, then pre-pay, which precreates the trade at the sandbox). Then
  \`TRADE_SUCCESS\` notifies are signed the way the sandbox signs them, with the gateway key read
  from \`sandbox_key\`, and each is sent once. Applies are read from MySQL (payment \`SUCCESS\`, and
  \`APPLIED\` outcomes in \`t_callback_log\`).
- **callback duplicate storm**: one trade, 1,000 copies of one notify, over one instance and then
  over two instances that share the database. There must be exactly one \`APPLIED\` and the payment
  version must be 1.
- **strategies**: \`CALLBACK_DEDUP_STRATEGY\` × {1, 2 instances} × {distinct trades, one trade ×
  500 copies}, each on fresh instances. A *double apply* is a payment with more than one \`APPLIED\`
  callback outcome. The unsafe demonstrations (\`check_then_act\`, \`mutex\` across instances) are
  expected to show some. \`unique_key\` must show none. Wallet over-credit is checked for every user
  of the callback rows after the outbox has been drained: the balance must equal the sum of PAID
  recharges. It stays 0 even under the unsafe strategies, because the order side's
  \`runOnce('ORDER_PAID')\` backs them up.
- **end-to-end**: 20 concurrent storefront flows: submit, pre-pay (alipay), sandbox pay with a
  normal notify, then poll \`GET /v1/orders/{no}\` every 50 ms until the order is PAID. Time to PAID
  includes the outbox relay's poll (\`OUTBOX_POLL_MS\`, 1 s by default).
- **memory**: VmHWM/VmRSS of the instance under the distinct-submit load, read from
  \`/proc/<pid>/status\` every 250 ms. VmHWM is the peak since the process started.

A row whose route does not exist prints \`n/a (route missing)\`. A group that fails prints one
\`error:\` row and the other groups still run.
`;
