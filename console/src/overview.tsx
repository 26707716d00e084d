import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

interface Stats {
  since: string;
  perMinute: Array<{ minute: string; channel: string; created: number; succeeded: number; refunds: number }>;
  successRate: { created: number; succeeded: number; rateBp: number | null };
  notifies: { received: number; answered: number; byOutcome: Record<string, number> };
  notifiesPerMinute: Array<{ minute: string; received: number; answered: number }>;
  anomaliesOpen: number;
}

const COLORS: Record<string, string> = {
  alipay: '#1677ff',
  wechat: '#07c160',
  unionpay: '#d7000f',
  wallet: '#8c6d1f',
};
const color = (c: string) => COLORS[c] ?? '#888';

/** The last `minutes` as labels HH:MM (UTC, as the API groups them). */
function minutesOf(since: string, minutes: number): string[] {
  const start = new Date(since).getTime();
  return Array.from({ length: minutes }, (_, i) => new Date(start + i * 60_000).toISOString().slice(0, 16));
}

function ChartBox(props: { title: string; build: (canvas: HTMLCanvasElement) => Chart }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const chart = props.build(ref.current!);
    return () => chart.destroy();
  }, [props.build]);
  return (
    <section class="card chart">
      <h2>{props.title}</h2>
      <div class="canvas">
        <canvas ref={ref} />
      </div>
    </section>
  );
}

export function Overview({ onAuthLost }: { onAuthLost: () => void }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [error, setError] = useState<string | null>(null);
  const MINUTES = 30;
  useEffect(() => {
    let live = true;
    const load = () =>
      api<Stats>('GET', `/v1/admin/stats?minutes=${MINUTES}`)
        .then((s) => live && setStats(s))
        .catch((e: ApiError) => (e.status === 401 ? onAuthLost() : setError(`${e.code}: ${e.message}`)));
    void load();
    const timer = setInterval(load, 10_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!stats) return <p>Loading…</p>;
  const labels = minutesOf(stats.since, MINUTES);
  const channels = [...new Set(stats.perMinute.map((m) => m.channel))].sort();
  const series = (field: 'succeeded' | 'refunds', c: string) =>
    labels.map((l) => stats.perMinute.find((m) => m.minute === l && m.channel === c)?.[field] ?? 0);
  const bars = (field: 'succeeded' | 'refunds') => (canvas: HTMLCanvasElement) =>
    new Chart(canvas, {
      type: 'bar',
      data: {
        labels: labels.map((l) => l.slice(11)),
        datasets: channels.map((c) => ({
          label: c,
          data: series(field, c),
          backgroundColor: color(c),
          stack: 's',
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true, ticks: { maxTicksLimit: 8, maxRotation: 0 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  const notifies = (canvas: HTMLCanvasElement) =>
    new Chart(canvas, {
      type: 'line',
      data: {
        labels: labels.map((l) => l.slice(11)),
        datasets: (['received', 'answered'] as const).map((k, i) => ({
          label: k,
          data: labels.map((l) => stats.notifiesPerMinute.find((m) => m.minute === l)?.[k] ?? 0),
          borderColor: i ? '#07c160' : '#999',
          backgroundColor: i ? '#07c160' : '#999',
          pointRadius: 0,
          // received drawn dashed and wider underneath: where every notify was answered the lines coincide
          borderDash: i ? [] : [6, 4],
          borderWidth: i ? 2 : 4,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { ticks: { maxTicksLimit: 8, maxRotation: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  const rate = stats.successRate.rateBp === null ? '—' : `${(stats.successRate.rateBp / 100).toFixed(1)} %`;
  return (
    <div class="overview">
      <div class="kpis">
        <section class="card kpi">
          <span>Success rate</span>
          <strong>{rate}</strong>
          <small>
            {stats.successRate.succeeded} paid / {stats.successRate.created} started, last {MINUTES} min
          </small>
        </section>
        <section class="card kpi">
          <span>Notifies answered</span>
          <strong>
            {stats.notifies.answered} / {stats.notifies.received}
          </strong>
          <small>
            {Object.entries(stats.notifies.byOutcome)
              .map(([k, v]) => `${k} ${v}`)
              .join(' · ') || 'none'}
          </small>
        </section>
        <a class={`card kpi ${stats.anomaliesOpen ? 'alert' : ''}`} href="#/anomalies">
          <span>Anomalies open</span>
          <strong>{stats.anomaliesOpen}</strong>
          <small>the work queue →</small>
        </a>
      </div>
      <div class="charts">
        <ChartBox
          key={`p${stats.since}${stats.perMinute.length}`}
          title="Payments per minute, by channel"
          build={bars('succeeded')}
        />
        <ChartBox
          key={`r${stats.since}${stats.perMinute.length}`}
          title="Refunds per minute, by channel"
          build={bars('refunds')}
        />
        <ChartBox
          key={`n${stats.since}${stats.notifiesPerMinute.length}`}
          title="Notifies per minute"
          build={notifies}
        />
      </div>
    </div>
  );
}
