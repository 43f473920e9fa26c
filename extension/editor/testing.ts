// Test Explorer: each policy's `tests` (run with harness runPolicyTests) and `invariants` (run with
// the simulator) as TestItems under their file, with source ranges.

import * as vscode from 'vscode';
import { DEFAULT_TEST_TIME, runPolicyTests } from '../../harness';
import { POLICY_GLOB, isPolicy, manifestTools, openPolicy, policyName, strictParse, toLocation, toRange } from './policyDocs';
import { runInvariants } from './simulation';

/** Summary of one run, returned by `mandate.runPolicyTests` (tests and scripts read it). */
export interface RunSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

/** The Test Explorer controller for policy tests and invariants. */
export class PolicyTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController('mandate.policyTests', 'Mandate policies');
  private readonly disposables: vscode.Disposable[] = [this.controller];

  constructor() {
    this.controller.resolveHandler = async () => this.discover();
    this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (req, token) => void this.run(req, token), true);
    this.disposables.push(
      vscode.workspace.onDidSaveTextDocument((d) => { if (isPolicy(d)) this.refresh(d); }),
      vscode.workspace.onDidOpenTextDocument((d) => { if (isPolicy(d)) this.refresh(d); }),
    );
  }

  /** Find every policy file in the workspace and list its tests. */
  async discover(): Promise<void> {
    const files = await vscode.workspace.findFiles(POLICY_GLOB, '**/node_modules/**', 500);
    for (const uri of files) this.refresh(await openPolicy(uri));
  }

  /** (Re)build the items of one policy document. */
  refresh(doc: vscode.TextDocument): vscode.TestItem {
    const id = doc.uri.toString();
    const file = this.controller.items.get(id) ?? this.controller.createTestItem(id, policyName(doc.uri), doc.uri);
    this.controller.items.add(file);
    const parsed = strictParse(doc);
    if (!parsed.ok) {
      file.error = `the policy does not parse: ${parsed.findings[0]?.message ?? 'invalid'}`;
      file.children.replace([]);
      return file;
    }
    file.error = undefined;
    const { policy, source } = parsed.parsed;
    const items = (policy.tests ?? []).map((t, i) => {
      const it = this.controller.createTestItem(`${id}#/tests/${i}`, `test: ${t.name}`, doc.uri);
      it.range = toRange(source.range(`/tests/${i}`));
      return it;
    });
    (policy.invariants ?? []).forEach((inv, i) => {
      const it = this.controller.createTestItem(`${id}#/invariants/${i}`, `invariant: ${inv.name}`, doc.uri);
      it.range = toRange(source.range(`/invariants/${i}`));
      items.push(it);
    });
    file.children.replace(items);
    return file;
  }

  /** Run the requested items (all when none are named). */
  async run(req: vscode.TestRunRequest, token?: vscode.CancellationToken): Promise<RunSummary> {
    const run = this.controller.createTestRun(req);
    const summary: RunSummary = { passed: 0, failed: 0, skipped: 0, failures: [] };
    const files = new Map<string, { file: vscode.TestItem; only?: Set<string> }>();
    const roots = req.include ?? [...this.iterate()];
    for (const item of roots) {
      const fileId = item.id.split('#')[0]!;
      const file = this.controller.items.get(fileId);
      if (!file) continue;
      const entry = files.get(fileId) ?? { file };
      if (item.id.includes('#')) (entry.only ??= new Set()).add(item.id);
      files.set(fileId, entry);
    }
    try {
      for (const { file, only } of files.values()) {
        if (token?.isCancellationRequested) break;
        await this.runFile(run, file, only, summary, token);
      }
    } finally {
      run.end();
    }
    return summary;
  }

  private *iterate(): Generator<vscode.TestItem> {
    for (const [, item] of this.controller.items) yield item;
  }

  private async runFile(run: vscode.TestRun, file: vscode.TestItem, only: Set<string> | undefined, s: RunSummary, token?: vscode.CancellationToken): Promise<void> {
    const doc = await openPolicy(file.uri!);
    this.refresh(doc);
    const parsed = strictParse(doc);
    if (!parsed.ok) {
      run.errored(file, new vscode.TestMessage(file.error as string));
      s.failed++;
      s.failures.push(`${file.label}: ${file.error as string}`);
      return;
    }
    const { tests, invariants: invs } = parsed.parsed.policy;
    if (!only && (tests ?? []).length === 0 && (invs ?? []).length === 0) {
      // as `mandate test` without --allow-empty: nothing checked is not a pass
      const why = 'the policy has no `tests:` or `invariants:`: nothing was checked';
      run.errored(file, new vscode.TestMessage(why));
      s.failed++;
      s.failures.push(`${file.label}: ${why}`);
      return;
    }
    const wanted = (id: string): vscode.TestItem | undefined => (!only || only.has(id) ? file.children.get(id) : undefined);
    for (const o of runPolicyTests(parsed.parsed, DEFAULT_TEST_TIME, manifestTools(doc.uri, parsed.parsed.policy.servers))) {
      const item = wanted(`${file.id}#${o.pointer}`);
      if (!item) continue;
      const location = toLocation(doc.uri, parsed.parsed.source.range(o.pointer));
      run.appendOutput(`${o.test.name}: decided at ${new Date(o.at).toISOString()}${o.defaultTime ? ' (no `at`: the fixed default)' : ''}\r\n`, location, item);
      for (const w of o.warnings) run.appendOutput(`warning: ${w}\r\n`, location, item);
      if (o.passed) { run.passed(item); s.passed++; continue; }
      const msg = new vscode.TestMessage(o.failure ?? 'failed');
      msg.location = location;
      run.failed(item, msg);
      s.failed++;
      s.failures.push(`${o.test.name}: ${o.failure ?? ''}`);
    }
    const invariants = (parsed.parsed.policy.invariants ?? []).map((_, i) => wanted(`${file.id}#/invariants/${i}`));
    if (invariants.some((i) => i)) await runInvariants(doc, parsed.parsed, invariants, run, s, token);
  }

  dispose(): void {
    this.disposables.forEach((d) => { d.dispose(); });
  }
}
