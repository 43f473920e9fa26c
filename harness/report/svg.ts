// Inline SVG charts for the report: stacked bars over time and per tool. No scripts, no external resources.

import type { Activity } from './activity';

/** Escape text for HTML and SVG content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export const SERIES = [
  { key: 'allowed', label: 'allowed', color: '#2e7d32' },
  { key: 'approval', label: 'approval required', color: '#f9a825' },
  { key: 'denied', label: 'denied', color: '#c62828' },
  { key: 'errors', label: 'errors', color: '#6a1b9a' },
] as const;

type Row = { allowed: number; approval: number; denied: number; errors: number };

function stack(rows: ReadonlyArray<{ label: string; values: Row }>, width: number, height: number, id: string, title: string): string {
  const max = Math.max(1, ...rows.map((r) => r.values.allowed + r.values.approval + r.values.denied + r.values.errors));
  const left = 36;
  const bottom = 18;
  const plotH = height - bottom - 8;
  const slot = rows.length === 0 ? 0 : (width - left - 4) / rows.length;
  const barW = Math.max(1, Math.min(slot * 0.8, 48));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" id="${id}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    `<title>${esc(title)}</title>`,
    `<line x1="${left}" y1="${8 + plotH}" x2="${width - 4}" y2="${8 + plotH}" stroke="#888"/>`,
    `<text x="${left - 4}" y="14" text-anchor="end" font-size="10">${max}</text>`,
    `<text x="${left - 4}" y="${8 + plotH}" text-anchor="end" font-size="10">0</text>`,
  ];
  rows.forEach((r, i) => {
    let y = 8 + plotH;
    const x = left + i * slot + (slot - barW) / 2;
    for (const s of SERIES) {
      const v = r.values[s.key];
      if (v === 0) continue;
      const h = (v / max) * plotH;
      y -= h;
      parts.push(`<rect class="bar ${s.key}" data-series="${s.key}" data-value="${v}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(r.label)}: ${v} ${s.label}</title></rect>`);
    }
  });
  const step = Math.max(1, Math.ceil(rows.length / 6));
  rows.forEach((r, i) => {
    if (i % step !== 0) return;
    parts.push(`<text x="${(left + i * slot + slot / 2).toFixed(1)}" y="${height - 4}" text-anchor="middle" font-size="9">${esc(r.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Calls, approvals, denials and errors per time bucket. */
export function timeChart(a: Activity): string {
  const short = a.bucketMs >= 86400e3 ? (s: string) => s.slice(5, 10) : (s: string) => s.slice(5, 16).replace('T', ' ');
  return stack(a.buckets.map((b) => ({ label: short(b.start), values: b })), 720, 200, 'chart-time', 'decisions and errors over time');
}

/** The same counts per tool (the 20 busiest). */
export function toolChart(a: Activity): string {
  return stack(a.tools.slice(0, 20).map((t) => ({ label: t.tool, values: t })), 720, 200, 'chart-tools', 'decisions and errors per tool');
}

/** The colour legend for both charts. */
export function legend(): string {
  return `<ul class="legend">${SERIES.map((s) => `<li><span style="background:${s.color}"></span>${esc(s.label)}</li>`).join('')}</ul>`;
}
