// The webview contract's guards refuse anything malformed, and the report page escapes policy text.
import assert from 'node:assert/strict';
import { isEditorMessage, isTimelineReady, isTimelineRendered, isWebviewMessage } from '../../../../extension/editor/webview/messages';
import { reportCsp, reportHtml } from '../../../../extension/editor/webview/reportHtml';
import type { SimulationReport } from '../../../../harness';

describe('editor webview contract', () => {
  it('accepts the messages the report page sends', () => {
    for (const m of [{ type: 'ready' }, { type: 'replay', index: 0 }, { type: 'explain', index: 3 }, { type: 'jump', index: 9999 }]) assert.ok(isWebviewMessage(m), JSON.stringify(m));
  });
  it('refuses malformed, extra-field and out-of-range messages', () => {
    for (const m of [null, 'jump', [], { type: 'run' }, { type: 'jump' }, { type: 'jump', index: -1 }, { type: 'jump', index: 1.5 },
      { type: 'jump', index: '1' }, { type: 'jump', index: 10_000 }, { type: 'ready', x: 1 }, { type: 'jump', index: 1, cmd: 'rm' }]) {
      assert.equal(isWebviewMessage(m), false, JSON.stringify(m));
    }
  });
  it('guards the editor and timeline messages', () => {
    assert.ok(isEditorMessage({ type: 'status', index: 0, text: 'ok' }));
    assert.equal(isEditorMessage({ type: 'status', index: 0, text: 'x'.repeat(2001) }), false);
    assert.ok(isTimelineReady({ type: 'ready' }));
    assert.equal(isTimelineReady({ type: 'ready', more: 1 }), false);
    assert.ok(isTimelineRendered({ type: 'rendered', rows: 3 }));
    assert.equal(isTimelineRendered({ type: 'rendered', rows: '3' }), false);
  });
});

describe('editor report page', () => {
  const report: SimulationReport = {
    file: 'x<script>.mandate.yaml', seed: 1, runs: 10, calls: 10, at: '2026-01-01T00:00:00Z', aborted: false, ok: false, allowVacuous: false,
    properties: [{ kind: 'invariant', name: 'n', pointer: '/invariants/0', status: 'broken', checked: 10, violations: 1 }],
    counterexamples: [{ kind: 'invariant', name: '<img src=x onerror=alert(1)>', pointer: '/invariants/0', effect: 'allow', reasons: ['r'], why: 'w',
      call: { roles: ['editor'], tool: 'delete_x', args: { a: '</pre><script>' }, context: {}, at: '2026-01-01T00:00:00Z' }, replay: { seed: 1, path: '0', command: 'mandate simulate' }, command: 'mandate check' }],
    coverage: [], unexercised: [], matrix: [{ roles: 'editor', tool: 'delete_x', allow: 3, approval_required: 0, deny: 1 }],
    universe: { roles: [['editor']], tools: ['delete_x'], times: [] }, notes: [],
  };
  it('allows only its own nonce', () => {
    assert.equal(reportCsp('abc'), "default-src 'none'; style-src 'nonce-abc'; script-src 'nonce-abc'");
  });
  it('escapes every policy-derived string', () => {
    const html = reportHtml(report, 'N');
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'only the page\'s own script');
    assert.ok(!html.includes('<img'));
    assert.match(html, /&#60;img src=x/);
  });
  it('draws the heat map cell with its counts', () => {
    assert.match(reportHtml(report, 'N'), /<td class="allow a3"[^>]*>3\/0\/1<\/td>/);
  });
  it('names every rule whose decisions broke the property under its counterexample, escaped', () => {
    const through = ['grants[0]', 'grants[1]', 'grants[<2>]'].map((id, i) => ({ kind: 'grant' as const, id, pointer: `/grants/${i}`, where: `p.yaml:${i + 5}:5`, calls: 2 }));
    const r: SimulationReport = { ...report, properties: [{ ...report.properties[0]!, name: report.counterexamples[0]!.name, violations: 6, through }] };
    assert.match(reportHtml(r, 'N'), /<p class="through">3 rules decided the calls that broke it: grants\[0\] <small>p\.yaml:5:5<\/small>, grants\[1\] <small>p\.yaml:6:5<\/small>, grants\[&#60;2&#62;\] <small>p\.yaml:7:5<\/small><\/p>/);
    assert.doesNotMatch(reportHtml(report, 'N'), /class="through"/);
  });
  it('never reads as a pass when invariants are invalid or vacuous, and lists them with why', () => {
    const r: SimulationReport = { ...report, ok: false, counterexamples: [], properties: [
      { kind: 'invariant', name: 'typo', pointer: '/invariants/0', status: 'invalid', note: 'role `raeder` is not declared', checked: 1, violations: 0 },
      { kind: 'invariant', name: 'empty', pointer: '/invariants/1', status: 'vacuous', note: 'no call fell within it', checked: 0, violations: 0 },
      { kind: 'builtin', name: 'b', pointer: '', status: 'passed', checked: 10, violations: 0 },
    ] };
    const html = reportHtml(r, 'N');
    assert.match(html, /<p class="broken" id="summary">1 invalid, 1 vacuous of 3 properties · /);
    assert.match(html, /<ul id="proved-nothing"><li class="broken"><b>invalid<\/b> invariant typo <small><\/small>: role `raeder` is not declared<\/li>/);
    assert.match(html, /<b>vacuous<\/b> invariant empty/);
  });
});
