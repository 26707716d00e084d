/** A result row of the bench table. */
export interface Row {
  row: string;
  work: string;
  result: string;
  target?: string;
  /** true pass, false miss, undefined no target / not measured. */
  pass?: boolean;
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
export const pct = (a: number, b: number) => (b > 0 ? `${fmt((100 * a) / b, 0)} %` : 'n/a');

export function markdown(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| row | work | result | target | pass/miss |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const verdict = r.pass === undefined ? '' : r.pass ? 'pass' : '**miss**';
    lines.push(`| ${esc(r.row)} | ${esc(r.work)} | ${esc(r.result)} | ${esc(r.target ?? '')} | ${verdict} |`);
  }
  return lines.join('\n');
}

/** A relative change as "+4.2 %" / "−4.2 %". */
export const delta = (frac: number) => `${frac >= 0 ? '+' : '−'}${fmt(Math.abs(frac) * 100, 1)} %`;
/** A difference in ms as "+1.0 ms" / "−1.0 ms". */
export const deltaMs = (ms: number) => `${ms >= 0 ? '+' : '−'}${fmt(Math.abs(ms), 1)} ms`;
