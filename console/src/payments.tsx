import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, when, yuan } from './api';

interface Payment {
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: string;
  amount: number;
  status: string;
  channelTradeNo: string | null;
  orderStatus: string | null;
  createdAt: string;
}
interface Timeline {
  payment: Payment;
  timeline: Array<{ at: string; type: string; title: string; detail: Record<string, unknown> }>;
  notes: string[];
}

const FIELDS = ['orderNo', 'paymentNo', 'channelTradeNo'] as const;

/** "I paid, where is my order?": find by order, payment or the gateway's trade number; open a timeline. */
export function Payments({ onAuthLost }: { onAuthLost: () => void }) {
  const initial = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const given = FIELDS.find((f) => initial.get(f));
  const [field, setField] = useState<(typeof FIELDS)[number]>(given ?? 'orderNo');
  const [value, setValue] = useState(given ? initial.get(given)! : '');
  const [found, setFound] = useState<Payment[] | null>(null);
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function search(f = field, v = value) {
    setError(null);
    setTimeline(null);
    try {
      const list = await api<Payment[]>('GET', `/v1/admin/payments?${f}=${encodeURIComponent(v.trim())}`);
      setFound(list);
      if (list.length === 1) await open(list[0].paymentNo);
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 401) return onAuthLost();
      setFound(null);
      setError(err.status === 404 ? 'No payment matches.' : `${err.code}: ${err.message}`);
    }
  }
  async function open(paymentNo: string) {
    setTimeline(await api<Timeline>('GET', `/v1/admin/payments/${paymentNo}/timeline`));
  }
  useEffect(() => {
    if (given) void search(given, initial.get(given)!);
  }, []);

  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <select
          aria-label="search by"
          value={field}
          onChange={(e) => setField((e.target as HTMLSelectElement).value as any)}
        >
          {FIELDS.map((f) => (
            <option value={f}>{f}</option>
          ))}
        </select>
        <input
          name="q"
          placeholder="number"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={!value.trim()}>
          Find
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      {found && found.length > 1 && (
        <ul class="cards">
          {found.map((p) => (
            <li class="card">
              <button class="link" onClick={() => void open(p.paymentNo)}>
                {p.paymentNo}
              </button>{' '}
              {p.channel} · {yuan(p.amount)} ·{' '}
              <span class={`badge ${p.status.toLowerCase()}`}>{p.status}</span>
            </li>
          ))}
        </ul>
      )}
      {timeline && (
        <section class="card timeline" data-timeline={timeline.payment.paymentNo}>
          <div class="head">
            <strong>{timeline.payment.paymentNo}</strong>{' '}
            <span class={`badge ${timeline.payment.status.toLowerCase()}`}>{timeline.payment.status}</span>
          </div>
          <p>
            {timeline.payment.channel} · {yuan(timeline.payment.amount)} · order {timeline.payment.orderNo} (
            {timeline.payment.orderStatus}) · user {timeline.payment.userId}
            {timeline.payment.channelTradeNo ? ` · trade ${timeline.payment.channelTradeNo}` : ''}
          </p>
          <ol class="events">
            {timeline.timeline.map((e) => (
              <li class={`ev ${e.type.split('.')[0]}`}>
                <time>{when(e.at)}</time>
                <span class="type">{e.type}</span>
                <span class="title">
                  {e.title}
                  {e.type === 'query' && typeof e.detail.answeredAt === 'string' && (
                    <span class="muted"> · answered {when(e.detail.answeredAt)}</span>
                  )}
                </span>
              </li>
            ))}
          </ol>
          {timeline.notes.map((n) => (
            <p class="muted">{n}</p>
          ))}
        </section>
      )}
    </div>
  );
}
