// SARIF 2.1.0 output for `mandate lint --format sarif` (accepted by GitHub code scanning).

import type { Finding } from '../../policies';

interface RuleMeta { id: string; why?: string }

/** Build a SARIF log for findings; `rules` supplies descriptions for the tool's rule table. */
export function toSarif(findings: readonly Finding[], rules: readonly RuleMeta[], version: string): object {
  const ids = [...new Set([...rules.map((r) => r.id), ...findings.map((f) => f.rule)])].sort();
  const why = new Map(rules.map((r) => [r.id, r.why]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'mandate',
          informationUri: 'https://github.com/mandate-dev/mandate',
          semanticVersion: version,
          rules: ids.map((id) => ({
            id,
            shortDescription: { text: why.get(id) ?? id },
            helpUri: `https://github.com/mandate-dev/mandate#${id.replace(/[^a-z0-9]+/g, '-')}`,
          })),
        },
      },
      results: findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: ids.indexOf(f.rule),
        level: f.severity === 'info' ? 'note' : f.severity,
        message: { text: f.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: f.range.file.replace(/\\/g, '/') },
            region: { startLine: f.range.start.line, startColumn: f.range.start.col, endLine: f.range.end.line, endColumn: Math.max(f.range.end.col, f.range.start.col + 1) },
          },
        }],
        partialFingerprints: { 'mandate/v1': `${f.rule}:${f.pointer}` },
      })),
    }],
  };
}
