import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, claims, token } from './api';
import { Overview } from './overview';
import { Anomalies, Reconciliations, RefundRequests } from './queues';
import { Payments } from './payments';
import { Payouts } from './payouts';
import { Webhooks } from './webhooks';
import './style.css';

const PAGES = {
  overview: ['Overview', Overview],
  anomalies: ['Anomalies', Anomalies],
  'refund-requests': ['Refund requests', RefundRequests],
  reconciliations: ['Reconciliation', Reconciliations],
  payments: ['Payments', Payments],
  payouts: ['Payouts', Payouts],
  webhooks: ['Webhooks', Webhooks],
} as const;
type Page = keyof typeof PAGES;

const pageOf = (): Page => {
  const p = location.hash.replace(/^#\/?/, '').split('?')[0] as Page;
  return p in PAGES ? p : 'overview';
};

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [sandbox, setSandbox] = useState<boolean | null>(null);

  async function use(t: string) {
    setError(null);
    token.set(t.trim());
    try {
      await api('GET', '/v1/admin/stats?minutes=5');
      onSignedIn();
    } catch (err) {
      token.clear();
      const e = err as ApiError;
      setError(e.status === 403 ? 'This token is not an admin’s.' : `Sign-in failed: ${e.code} ${e.message}`);
    }
  }

  async function mint() {
    try {
      const r = await api<{ token: string }>('POST', '/v1/dev/tokens', {
        userId: 'console-admin',
        role: 'admin',
      });
      await use(r.token);
    } catch (err) {
      const e = err as ApiError;
      if (e.status === 404) setSandbox(false);
      setError(e.status === 404 ? 'The sandbox is off: paste an admin token.' : `${e.code}: ${e.message}`);
    }
  }

  return (
    <main class="signin">
      <h1>oncepay console</h1>
      <p>Paste an admin bearer token (a JWT with role admin). It stays in this tab only.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void use(pasted);
        }}
      >
        <textarea
          aria-label="admin token"
          name="token"
          rows={4}
          autocomplete="off"
          spellcheck={false}
          placeholder="eyJhbGciOiJIUzI1NiIs…"
          value={pasted}
          onInput={(e) => setPasted((e.target as HTMLTextAreaElement).value)}
        />
        <div class="row">
          <button type="submit" disabled={!pasted.trim()}>
            Sign in
          </button>
          {sandbox !== false && (
            <button type="button" class="secondary" onClick={() => void mint()}>
              Sandbox: mint a dev admin token
            </button>
          )}
        </div>
      </form>
      {error && <p class="error">{error}</p>}
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(!!token.get());
  const [page, setPage] = useState<Page>(pageOf());
  useEffect(() => {
    const on = () => setPage(pageOf());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const who = claims(token.get());
  const [title, Body] = PAGES[page];
  return (
    <div class="shell">
      <header>
        <strong class="brand">oncepay</strong>
        <nav>
          {(Object.keys(PAGES) as Page[]).map((p) => (
            <a key={p} href={`#/${p}`} class={p === page ? 'active' : ''}>
              {PAGES[p][0]}
            </a>
          ))}
        </nav>
        <span class="who">
          {who.sub ?? 'admin'}{' '}
          <button
            class="link"
            onClick={() => {
              token.clear();
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        <h1>{title}</h1>
        <Body onAuthLost={() => setSignedIn(false)} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
