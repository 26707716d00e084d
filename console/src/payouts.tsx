import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, when, yuan } from './api';

type Props = { onAuthLost: () => void };

interface Payout {
  payoutNo: string;
  channel: string;
  account: { identity: string; name: string | null };
  amount: number;
  status: string;
  failedReason: string | null;
  createdAt: string;
  succeededAt: string | null;
  failedAt: string | null;
  userId: string;
  reviewedBy: string | null;
  attempts: number;
}

const Badge = ({ s }: { s: string | null }) =>
  s ? <span class={`badge ${s.toLowerCase()}`}>{s}</span> : null;

/**
 * Payouts (docs/payouts.md) over the admin API: the review queue (`REVIEW`, payouts above
 * PAYOUT_REVIEW_ABOVE) by default, or any state; **Approve** (it is sent) or **Reject** with a reason (the
 * money goes back to the wallet once); **Ask the gateway now** (recheck) for a PENDING or SUCCEEDED one.
 */
export function Payouts({ onAuthLost }: Props) {
  const [status, setStatus] = useState('REVIEW');
  const [page, setPage] = useState<{ items: Payout[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const reload = () => setN(n + 1);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [fail, setFail] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    api<{ items: Payout[] }>('GET', `/v1/admin/payouts?limit=100${status ? `&status=${status}` : ''}`)
      .then(setPage)
      .catch((e: ApiError) => (e.status === 401 ? onAuthLost() : setError(`${e.code}: ${e.message}`)));
  }, [status, n]);
  async function act(p: Payout, how: 'approve' | 'reject' | 'recheck') {
    setFail(null);
    try {
      await api(
        'POST',
        `/v1/admin/payouts/${p.payoutNo}/${how}`,
        how === 'reject' ? { reason: reasons[p.payoutNo] ?? '' } : undefined,
      );
      reload();
    } catch (e) {
      if ((e as ApiError).status === 401) onAuthLost();
      else setFail(`${p.payoutNo}: ${(e as ApiError).code}: ${(e as ApiError).message}`);
    }
  }
  return (
    <div>
      <div class="toolbar">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {['REVIEW', 'PENDING', 'SUCCEEDED', 'FAILED', ''].map((s) => (
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
        {page?.items.map((p) => (
          <li class="card" data-payout={p.payoutNo}>
            <div class="head">
              <strong>{yuan(p.amount)}</strong> <Badge s={p.status} /> <span class="muted">{p.payoutNo}</span>
            </div>
            <dl>
              <dt>To</dt>
              <dd>
                {p.channel} · {p.account.identity}
                {p.account.name ? ` (${p.account.name})` : ''}
              </dd>
              <dt>From</dt>
              <dd>wallet of {p.userId}</dd>
              <dt>Asked</dt>
              <dd>{when(p.createdAt)}</dd>
              <dt>Gateway calls</dt>
              <dd>{p.attempts}</dd>
              {p.reviewedBy && (
                <>
                  <dt>Reviewed by</dt>
                  <dd>{p.reviewedBy}</dd>
                </>
              )}
              {p.succeededAt && (
                <>
                  <dt>Paid out</dt>
                  <dd>{when(p.succeededAt)}</dd>
                </>
              )}
              {p.failedReason && (
                <>
                  <dt>Failed</dt>
                  <dd class="error">
                    {p.failedReason} ({when(p.failedAt)})
                  </dd>
                </>
              )}
            </dl>
            {p.status === 'REVIEW' && (
              <div class="decide">
                <div class="row">
                  <button onClick={() => void act(p, 'approve')}>Approve</button>
                </div>
                <form
                  class="row"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void act(p, 'reject');
                  }}
                >
                  <input
                    name="reject-reason"
                    placeholder="Reason (the money goes back to the wallet)"
                    value={reasons[p.payoutNo] ?? ''}
                    onInput={(e) =>
                      setReasons({ ...reasons, [p.payoutNo]: (e.target as HTMLInputElement).value })
                    }
                  />
                  <button type="submit" class="danger" disabled={!(reasons[p.payoutNo] ?? '').trim()}>
                    Reject
                  </button>
                </form>
              </div>
            )}
            {(p.status === 'PENDING' || p.status === 'SUCCEEDED') && (
              <div class="row">
                <button class="secondary" onClick={() => void act(p, 'recheck')}>
                  Ask the gateway now
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
