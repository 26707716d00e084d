import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, when } from './api';

type Props = { onAuthLost: () => void };

interface Endpoint {
  id: string;
  url: string;
  events: string[];
  status: string;
  disabledReason?: string;
  disabledAt?: string;
  createdAt: string;
}

interface Attempt {
  eventId: string;
  type: string;
  attempt: number;
  outcome: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  responseBody: string | null;
  startedAt: string;
  nextAttemptAt?: string | null;
}

/** A secret the API has just handed out: shown once, kept in this component's memory only. */
interface OnceSecret {
  id: string;
  secret: string;
  what: 'registered' | 'rotated';
  previousSecretExpiresAt?: string;
}

const Badge = ({ s }: { s: string | null }) =>
  s ? <span class={`badge ${s.toLowerCase()}`}>{s}</span> : null;

const message = (e: unknown) => `${(e as ApiError).code}: ${(e as ApiError).message}`;

/**
 * Webhook endpoints (docs/events.md) over the admin API: list, register (the secret is shown once, here,
 * and never again — not stored, not listed), rotate the secret (the new one shown once), re-enable,
 * delete; an endpoint's delivery attempts with Redeliver.
 */
export function Webhooks({ onAuthLost }: Props) {
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const reload = () => setN(n + 1);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState('');
  const [once, setOnce] = useState<OnceSecret | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  useEffect(() => {
    api<Endpoint[]>('GET', '/v1/admin/webhook-endpoints')
      .then((list) => {
        setEndpoints(list);
        setError(null);
      })
      .catch((e: ApiError) => (e.status === 401 ? onAuthLost() : setError(message(e))));
  }, [n]);

  async function act(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
    } catch (e) {
      if ((e as ApiError).status === 401) onAuthLost();
      else setError(message(e));
    }
  }

  const register = () =>
    act(async () => {
      const list = events
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const created = await api<Endpoint & { secret: string }>('POST', '/v1/admin/webhook-endpoints', {
        url: url.trim(),
        ...(list.length ? { events: list } : {}),
      });
      setOnce({ id: created.id, secret: created.secret, what: 'registered' });
      setUrl('');
      setEvents('');
      reload();
    });
  const rotate = (ep: Endpoint) =>
    act(async () => {
      const r = await api<{ id: string; secret: string; previousSecretExpiresAt: string }>(
        'POST',
        `/v1/admin/webhook-endpoints/${ep.id}/rotate-secret`,
      );
      setOnce({ ...r, what: 'rotated' });
    });
  const enable = (ep: Endpoint) =>
    act(async () => {
      await api('POST', `/v1/admin/webhook-endpoints/${ep.id}/enable`);
      reload();
    });
  const remove = (ep: Endpoint) =>
    act(async () => {
      await api('DELETE', `/v1/admin/webhook-endpoints/${ep.id}`);
      setConfirming(null);
      if (open === ep.id) setOpen(null);
      if (once?.id === ep.id) setOnce(null);
      reload();
    });

  return (
    <div>
      <form
        class="card register"
        onSubmit={(e) => {
          e.preventDefault();
          void register();
        }}
      >
        <h2>Register an endpoint</h2>
        <div class="row">
          <input
            name="url"
            aria-label="endpoint URL"
            placeholder="https://erp.example.com/hooks/oncepay"
            value={url}
            onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
          />
          <input
            name="events"
            aria-label="events"
            placeholder="events: order.paid, refund.* (blank: all)"
            value={events}
            onInput={(e) => setEvents((e.target as HTMLInputElement).value)}
          />
          <button type="submit" disabled={!url.trim()}>
            Register
          </button>
        </div>
      </form>
      {once && (
        <section class="card secret-once" data-secret-for={once.id}>
          <div class="head">
            <strong>
              {once.what === 'registered' ? 'Endpoint registered' : 'Secret rotated'}: {once.id}
            </strong>
          </div>
          <p>
            Its signing secret, shown <strong>this once</strong> — copy it to the receiver now; oncepay never
            shows it again:
          </p>
          <code class="secret">{once.secret}</code>
          {once.previousSecretExpiresAt && (
            <p class="muted">
              Deliveries carry the old secret’s signature too until {when(once.previousSecretExpiresAt)}.
            </p>
          )}
          <div class="row">
            <button type="button" onClick={() => setOnce(null)}>
              I have copied it
            </button>
          </div>
        </section>
      )}
      <div class="toolbar">
        <button class="secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {endpoints && !endpoints.length && <p class="empty">No endpoints registered.</p>}
      <ul class="cards">
        {endpoints?.map((ep) => (
          <li class="card" data-endpoint={ep.id}>
            <div class="head">
              <strong>{ep.id}</strong> <Badge s={ep.status} />
            </div>
            <dl>
              <dt>URL</dt>
              <dd>{ep.url}</dd>
              <dt>Events</dt>
              <dd>{ep.events.join(', ') || '*'}</dd>
              {ep.disabledReason && (
                <>
                  <dt>Disabled</dt>
                  <dd class="error">
                    {ep.disabledReason} ({when(ep.disabledAt)})
                  </dd>
                </>
              )}
              <dt>Since</dt>
              <dd>{when(ep.createdAt)}</dd>
            </dl>
            <div class="row">
              <button class="secondary" onClick={() => setOpen(open === ep.id ? null : ep.id)}>
                {open === ep.id ? 'Hide deliveries' : 'Deliveries'}
              </button>
              <button class="secondary" onClick={() => void rotate(ep)}>
                Rotate secret
              </button>
              {ep.status === 'DISABLED' && <button onClick={() => void enable(ep)}>Enable</button>}
              {confirming === ep.id ? (
                <>
                  <button class="danger" onClick={() => void remove(ep)}>
                    Confirm delete
                  </button>
                  <button class="link" onClick={() => setConfirming(null)}>
                    keep it
                  </button>
                </>
              ) : (
                <button class="danger" onClick={() => setConfirming(ep.id)}>
                  Delete
                </button>
              )}
            </div>
          </li>
        ))}
      </ul>
      {open && <Deliveries endpointId={open} onAuthLost={onAuthLost} />}
    </div>
  );
}

/** An endpoint's attempts, newest first, each with Redeliver (the event again, now, under its id). */
function Deliveries({ endpointId, onAuthLost }: { endpointId: string; onAuthLost: () => void }) {
  const [items, setItems] = useState<Attempt[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    api<{ items: Attempt[] }>('GET', `/v1/admin/webhook-endpoints/${endpointId}/deliveries`)
      .then((p) => {
        setItems(p.items);
        setError(null);
      })
      .catch((e: ApiError) => (e.status === 401 ? onAuthLost() : setError(message(e))));
  }, [endpointId, n]);
  async function redeliver(eventId: string) {
    setNote(null);
    try {
      const r = await api<{ eventId: string; deliveries: number }>(
        'POST',
        `/v1/admin/events/${eventId}/redeliver`,
      );
      setNote(`${r.eventId} sent again to ${r.deliveries} endpoint(s)`);
      setN(n + 1);
    } catch (e) {
      setError(message(e));
    }
  }
  return (
    <section class="card deliveries" data-deliveries={endpointId}>
      <div class="head">
        <h2>Deliveries to {endpointId}</h2>
        <button class="secondary" onClick={() => setN(n + 1)}>
          Refresh deliveries
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {note && <p class="ok-note">{note}</p>}
      {items && !items.length && <p class="empty">No delivery attempts yet.</p>}
      <ol class="attempts">
        {items?.map((a) => (
          <li class="attempt" data-event={a.eventId} data-attempt={a.attempt}>
            <div class="head">
              <strong>{a.type}</strong> <Badge s={a.outcome} />{' '}
              <span class="muted">
                try {a.attempt} · {a.statusCode ?? 'no answer'} · {a.latencyMs} ms · {when(a.startedAt)}
              </span>
            </div>
            <div class="muted event-id">{a.eventId}</div>
            {a.error && <div class="error">{a.error}</div>}
            <div class="row">
              <button class="secondary" onClick={() => void redeliver(a.eventId)}>
                Redeliver
              </button>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
