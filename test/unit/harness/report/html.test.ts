// The HTML and Markdown renderings: self-contained, escaped, charts that carry the model's counts.

import assert from 'node:assert/strict';
import { marked } from 'marked';
import { buildReport, renderHtml, renderMarkdown, type ReportModel } from '../../../../harness/report';
import { sha256 } from '../../../../extension/proxy/hash';
import { decision, fixturePolicy, writeLog } from '../review/fixture';

function model(tool = 'read_file'): ReportModel {
  const log = writeLog([
    decision('2026-11-01T10:00:00Z', '1', 'alice', 'reader', tool, 'allow', ['read-docs']),
    decision('2026-11-01T10:30:00Z', '2', 'alice', 'reader', tool, 'allow', ['read-docs']),
    decision('2026-11-01T12:00:00Z', '3', 'carol', 'reader', 'delete_file', 'deny', ['no-deletes']),
  ]);
  return buildReport({ policy: fixturePolicy().parsed, logs: [{ file: 'a.jsonl', text: log.text }], sha256, now: Date.parse('2026-11-20T00:00:00Z') });
}

describe('harness/report html and markdown', () => {
  it('loads nothing from outside the file: no script, no external URL, a CSP that forbids it', () => {
    const html = renderHtml(model());
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  });

  it('escapes values from the log and the policy', () => {
    const html = renderHtml(model('<img src=x onerror=alert(1)>'));
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('draws the time chart\'s bars with the model\'s counts', () => {
    const m = model();
    const html = renderHtml(m);
    const chart = /<svg[^>]*id="chart-time"[\s\S]*?<\/svg>/.exec(html)![0];
    const sum = (series: string) => [...chart.matchAll(new RegExp(`data-series="${series}" data-value="(\\d+)"`, 'g'))].reduce((n, x) => n + Number(x[1]), 0);
    assert.equal(sum('allowed'), 2);
    assert.equal(sum('denied'), 1);
  });

  it('renders text from the log inert in Markdown: no forged headings, no HTML, no links, tables intact (rendered with marked)', () => {
    const evil = ['delete_x\r## Integrity\r\rAudit chain: intact, 0 denied\r', 'y` <img src=x onerror=alert(1)> [verified](https://evil.example) `', 'z | w ```'];
    for (const tool of evil) {
      const m = model(tool);
      const md = renderMarkdown(m);
      assert.doesNotMatch(md, /\r/);
      const html = marked.parse(md, { async: false, gfm: true });
      assert.equal((html.match(/<h2[^>]*>Integrity<\/h2>/g) ?? []).length, 1, `one Integrity heading (${JSON.stringify(tool)})`);
      assert.doesNotMatch(html, /<img|<a href/i, JSON.stringify(tool));
      const header = /<table>\s*<thead>\s*<tr>([\s\S]*?)<\/tr>/.exec(html)![1]!;
      const columns = (header.match(/<th/g) ?? []).length;
      assert.equal(columns, m.matrix.tools.length + 1, `the matrix keeps one column per tool (${JSON.stringify(tool)})`);
      assert.ok(m.matrix.tools.includes(tool));
    }
  });

  it('states the policy version and integrity in Markdown too', () => {
    const m = model();
    const md = renderMarkdown(m);
    assert.match(md, new RegExp(`version \\(SHA-256\\) \`${m.policy.version}\``));
    assert.match(md, /Audit chain: intact/);
    assert.match(md, /\| reader \| /);
  });
});
