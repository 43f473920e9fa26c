// The editor's bridge to the simulator (harness simulate()): runs a policy's invariants for the
// Test Explorer and the Simulate Agent report, cancellable, from the strict parse only.

import type * as vscode from 'vscode';
import { failing, simulate } from '../../harness';
import type { SimulationReport, SimulateOptions } from '../../harness';
import type { ParsedPolicy, ToolManifest } from '../../policies';
import { manifestTools } from './policyDocs';
import type { RunSummary } from './testing';

export type { SimulationReport, Counterexample } from '../../harness';

/** Simulation settings (`mandate.simulate.*`) and the tools of the picked servers. */
export interface SimulateRequest {
  runs: number;
  seed?: number;
  tools?: ToolManifest;
  signal?: AbortSignal;
  /** replay one generated call (a counterexample's seed and path) at this instant (ms) */
  replay?: { path: string };
  at?: number;
  onProgress?: SimulateOptions['onProgress'];
}

/** Run the simulator on a strictly parsed policy. */
export async function runSimulation(parsed: ParsedPolicy, req: SimulateRequest): Promise<SimulationReport> {
  // INVARIANT: only a strict, schema-valid parse reaches the simulator (and through it, decide())
  const opts: SimulateOptions = { runs: req.runs };
  if (req.seed !== undefined) opts.seed = req.seed;
  if (req.tools) opts.tools = req.tools;
  if (req.signal) opts.signal = req.signal;
  if (req.onProgress) opts.onProgress = req.onProgress;
  if (req.replay) opts.replay = req.replay;
  if (req.at !== undefined) opts.at = req.at;
  return simulate(parsed, opts);
}

/** Run the invariants of a policy for the Test Explorer; items are the TestItems to report (or undefined). */
export async function runInvariants(doc: vscode.TextDocument, parsed: ParsedPolicy, items: ReadonlyArray<vscode.TestItem | undefined>,
  run: vscode.TestRun, s: RunSummary, token?: vscode.CancellationToken): Promise<void> {
  const abort = new AbortController();
  const sub = token?.onCancellationRequested(() => abort.abort());
  try {
    const tools = manifestTools(doc.uri, parsed.policy.servers);
    const report = await runSimulation(parsed, { runs: 2000, signal: abort.signal, ...(tools ? { tools } : {}) });
    items.forEach((item, i) => {
      if (!item) return;
      const pointer = `/invariants/${i}`;
      const result = report.properties.find((p) => p.pointer === pointer);
      const cx = report.counterexamples.find((c) => c.pointer === pointer);
      if (result?.status === 'broken' && cx) {
        run.failed(item, { message: `${cx.why}: ${cx.call.roles.join(',')} → ${cx.call.tool} ${JSON.stringify(cx.call.args)} (seed ${report.seed})` });
        s.failed++;
        s.failures.push(`${cx.name}: ${cx.why}`);
      } else if (result && (result.status === 'invalid' || failing(result, report))) {
        // as `mandate simulate`: an invariant naming what the policy lacks, or one no call fell within, proved nothing
        const why = `${result.status}: ${result.note ?? 'no generated call fell within it'}`;
        run.failed(item, { message: why });
        s.failed++;
        s.failures.push(`${result.name}: ${why}`);
      } else if (result?.status === 'passed') {
        run.passed(item);
        s.passed++;
      } else {
        run.skipped(item);
        s.skipped++;
      }
    });
  } finally {
    sub?.dispose();
  }
}
