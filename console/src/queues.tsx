import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, when, yuan } from './api';

type Props = { onAuthLost: () => void };

/** Loads `path`, reloads on demand; 401 signs out. */
function useList<T>(path: string, onAuthLost: () => void): [T | null, string | null, () => void] {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    setError(null);
    api<T>('GET', path)
      .then(setData)
      .catch((e: ApiError) => (e.status === 401 ? onAuthLost() : setError(`${e.code}: ${e.message}`)));
  }, [path, n]);
  return [data, error, () => setN(n + 1)];
}

const Badge = ({ s }: { s: string | null }) =>
  s ? <span class={`badge ${s.toLowerCase()}`}>{s}</span> : null;

interface Anomaly {
  id: string;
  paymentNo: string;
  orderNo: string | null;
  channel: string | null;
  amount: number | null;
  kind: string;
  status: string;
  refundNo: string | null;
  refundStatus: string | null;
  failedReason: string | null;
  resolvedBy: string | null;
  resolutionNote: string | null;
  createdAt: string;
}

export function Anomalies({ onAuthLost }: Props) {
  const [status, setStatus] = useState('OPEN');
  const [page, error, reload] = useList<{ items: Anomaly[] }>(
    `/v1/admin/anomalies?limit=100${status ? `&status=${status}` : ''}`,
    onAuthLost,
  );
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [fail, setFail] = useState<string | null>(null);
  async function resolve(a: Anomaly) {
    setFail(null);
    try {
      await api('POST', `/v1/admin/anomalies/${a.id}/resolve`, { note: notes[a.id] ?? '' });
      reload();
    } catch (e) {
      setFail(`#${a.id}: ${(e as ApiError).code}: ${(e as ApiError).message}`);
    }
  }
  return (
    <div>
      <div class="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {['OPEN', 'AUTO_REFUNDED', 'RESOLVED', ''].map((s) => (
              <option value={s}>{s || 'all'}</option>
            ))}
          </select>
        </label>
        <button class="secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {fail && <p class="error">{fail}</p>}
      {page && !page.items.length && <p class="empty">Nothing here.</p>}
      <ul class="cards">
        {page?.items.map((a) => (
          <li class="card" data-anomaly={a.id} data-payment={a.paymentNo}>
            <div class="head">
              <strong>{a.kind}</strong> <Badge s={a.status} /> <span class="muted">#{a.id}</span>
            </div>
            <dl>
              <dt>Payment</dt>
              <dd>
                <a href={`#/payments?paymentNo=${a.paymentNo}`}>{a.paymentNo}</a> · {a.channel} ·{' '}
                {yuan(a.amount)}
              </dd>
              <dt>Order</dt>
              <dd>{a.orderNo ?? '—'}</dd>
              {a.refundNo && (
                <>
                  <dt>Refund</dt>
                  <dd>
                    {a.refundNo} <Badge s={a.refundStatus} />
                  </dd>
                </>
              )}
              {a.failedReason && (
                <>
                  <dt>Why not yet</dt>
                  <dd class="error">{a.failedReason}</dd>
                </>
              )}
              {a.resolutionNote && (
                <>
                  <dt>Resolved</dt>
                  <dd>
                    {a.resolvedBy}: {a.resolutionNote}
                  </dd>
                </>
              )}
              <dt>Seen</dt>
              <dd>{when(a.createdAt)}</dd>
            </dl>
            {a.status === 'OPEN' && a.refundStatus !== 'PENDING' && (
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  void resolve(a);
                }}
              >
                <input
                  name="note"
                  placeholder="What was done about it"
                  value={notes[a.id] ?? ''}
                  onInput={(e) => setNotes({ ...notes, [a.id]: (e.target as HTMLInputElement).value })}
                />
                <button type="submit" disabled={!(notes[a.id] ?? '').trim()}>
                  Resolve
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface RefundRequest {
  requestNo: string;
  orderNo: string;
  userId: string;
  amount: number;
  reason: string;
  status: string;
  refundNo: string | null;
  rejectReason: string | null;
  createdAt: string;
}

export function RefundRequests({ onAuthLost }: Props) {
  const [status, setStatus] = useState('OPEN');
  const [list, error, reload] = useList<RefundRequest[]>(
    `/v1/refund-requests?limit=100${status ? `&status=${status}` : ''}`,
    onAuthLost,
  );
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [restock, setRestock] = useState<Record<string, boolean>>({});
  const [fail, setFail] = useState<string | null>(null);
  async function decide(r: RefundRequest, how: 'approve' | 'reject') {
    setFail(null);
    try {
      const body =
        how === 'approve' ? { restock: !!restock[r.requestNo] } : { reason: reasons[r.requestNo] ?? '' };
      await api('POST', `/v1/refund-requests/${r.requestNo}/${how}`, body);
      reload();
    } catch (e) {
      setFail(`${r.requestNo}: ${(e as ApiError).code}: ${(e as ApiError).message}`);
    }
  }
  return (
    <div>
      <div class="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {['OPEN', 'APPROVED', 'REJECTED', ''].map((s) => (
              <option value={s}>{s || 'all'}</option>
            ))}
          </select>
        </label>
        <button class="secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {fail && <p class="error">{fail}</p>}
      {list && !list.length && <p class="empty">Nothing here.</p>}
      <ul class="cards">
        {list?.map((r) => (
          <li class="card" data-request={r.requestNo}>
            <div class="head">
              <strong>{yuan(r.amount)}</strong> <Badge s={r.status} />{' '}
              <span class="muted">{r.requestNo}</span>
            </div>
            <dl>
              <dt>Order</dt>
              <dd>
                <a href={`#/payments?orderNo=${r.orderNo}`}>{r.orderNo}</a> · {r.userId}
              </dd>
              <dt>Reason</dt>
              <dd>{r.reason}</dd>
              {r.refundNo && (
                <>
                  <dt>Refund</dt>
                  <dd>{r.refundNo}</dd>
                </>
              )}
              {r.rejectReason && (
                <>
                  <dt>Rejected</dt>
                  <dd>{r.rejectReason}</dd>
                </>
              )}
              <dt>Asked</dt>
              <dd>{when(r.createdAt)}</dd>
            </dl>
            {r.status === 'OPEN' && (
              <div class="decide">
                <div class="row">
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={!!restock[r.requestNo]}
                      onChange={(e) =>
                        setRestock({ ...restock, [r.requestNo]: (e.target as HTMLInputElement).checked })
                      }
                    />{' '}
                    restock
                  </label>
                  <button onClick={() => void decide(r, 'approve')}>Approve</button>
                </div>
                <div class="row">
                  <input
                    name="reject-reason"
                    placeholder="Reason for the buyer"
                    value={reasons[r.requestNo] ?? ''}
                    onInput={(e) =>
                      setReasons({ ...reasons, [r.requestNo]: (e.target as HTMLInputElement).value })
                    }
                  />
                  <button
                    class="danger"
                    disabled={!(reasons[r.requestNo] ?? '').trim()}
                    onClick={() => void decide(r, 'reject')}
                  >
                    Reject
                  </button>
                </div>
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface Run {
  id: string;
  date: string;
  channels: string[];
  trigger: string;
  requestedBy: string | null;
  status: string;
  checked: number;
  mismatchCount: number;
  repairedCount: number;
  mismatches: Array<{
    paymentNo?: string;
    payoutNo?: string;
    channel?: string;
    kind: string;
    repaired: boolean;
    refundNo?: string;
  }>;
  error: string | null;
  startedAt: string;
}

export function Reconciliations({ onAuthLost }: Props) {
  const [page, error, reload] = useList<{ items: Run[] }>('/v1/admin/reconciliations?limit=50', onAuthLost);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const [date, setDate] = useState(today);
  const [busy, setBusy] = useState(false);
  const [fail, setFail] = useState<string | null>(null);
  async function run() {
    setBusy(true);
    setFail(null);
    try {
      await api('POST', '/v1/admin/reconciliations', { date });
    } catch (e) {
      setFail(`${(e as ApiError).code}: ${(e as ApiError).message}`);
    }
    setBusy(false);
    reload();
  }
  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Bill date{' '}
          <input type="date" value={date} onInput={(e) => setDate((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Reconcile now'}
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      {fail && <p class="error">{fail}</p>}
      {page && !page.items.length && <p class="empty">No run yet.</p>}
      <ul class="cards">
        {page?.items.map((r) => (
          <li class="card">
            <div class="head">
              <strong>{r.date}</strong> <Badge s={r.status} />{' '}
              <span class="muted">
                #{r.id} · {r.trigger}
              </span>
            </div>
            <p>
              {r.channels.join(', ')}: {r.checked} checked, {r.mismatchCount} mismatches, {r.repairedCount}{' '}
              repaired · {when(r.startedAt)} {r.requestedBy ? `by ${r.requestedBy}` : ''}
            </p>
            {r.error && <p class="error">{r.error}</p>}
            {r.mismatches.length > 0 && (
              <details>
                <summary>Mismatches</summary>
                <ul class="plain">
                  {r.mismatches.map((m) => (
                    <li>
                      {m.kind} ·{' '}
                      {m.paymentNo ? (
                        <a href={`#/payments?paymentNo=${m.paymentNo}`}>{m.paymentNo}</a>
                      ) : (
                        m.payoutNo
                      )}{' '}
                      {m.channel ?? ''} {m.refundNo ?? ''} {m.repaired ? '✓ repaired' : '✗ for a person'}
                    </li>
                  ))}
                </ul>
              </details>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
