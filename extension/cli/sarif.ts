// SARIF 2.1.0 output for `mandate lint --format sarif` (accepted by GitHub code scanning).

import type { Finding, Severity } from '../../policies';

/**
 * A SARIF plain-text message (§3.11): `{` and `}` doubled (placeholders) and `\`, `[`, `]` backslash-escaped
 * (embedded links). INVARIANT: text from a policy or a tool manifest cannot make a viewer render a link or
 * substitute an argument.
 */
export function sarifText(text: string): string {
  return text.replace(/[\\[\]]/g, (c) => `\\${c}`).replace(/\{/g, '{{').replace(/\}/g, '}}');
}

/** What the SARIF rule table needs to know about a rule. */
export interface RuleMeta { id: string; why?: string; severity?: Severity; example?: string }

const HELP = 'https://github.com/mandate-dev/mandate#lint-rules';
const SECURITY_SEVERITY: Record<Severity, string> = { error: '7.5', warning: '4.0', info: '1.0' };

function level(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'info' ? 'note' : s;
}

/** A finding's file as a SARIF URI: relative paths stay relative (with `/`), absolute ones become `file://` URIs. */
export function artifactUri(file: string): string {
  const posix = file.replace(/\\/g, '/');
  const encoded = posix.split('/').map((seg) => (/^[A-Za-z]:$/.test(seg) ? seg : encodeURIComponent(seg))).join('/');
  if (posix.startsWith('/')) return `file://${encoded}`;
  if (/^[A-Za-z]:\//.test(posix)) return `file:///${encoded}`;
  return encoded;
}

/** Build a SARIF log for findings; `rules` supplies descriptions for the tool's rule table. */
export function toSarif(findings: readonly Finding[], rules: readonly RuleMeta[], version: string): object {
  const meta = new Map(rules.map((r) => [r.id, r]));
  const ids = [...new Set([...rules.map((r) => r.id), ...findings.map((f) => f.rule)])].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'mandate',
          informationUri: 'https://github.com/mandate-dev/mandate',
          semanticVersion: version,
          rules: ids.map((id) => {
            const m = meta.get(id);
            const why = m?.why ?? (id.startsWith('schema/') || id.startsWith('syntax') ? 'the policy file must parse and match the Mandate policy schema' : id);
            return {
              id,
              name: id.replace(/[^A-Za-z0-9]+(.)?/g, (_s, c: string | undefined) => (c ?? '').toUpperCase()),
              shortDescription: { text: sarifText(why) },
              fullDescription: { text: sarifText(m?.example ? `${why}. Example: ${m.example.replace(/\n/g, ' ')}` : why) },
              defaultConfiguration: { level: level(m?.severity ?? 'error') },
              helpUri: HELP,
              help: { text: sarifText(`${why}. Silence one place with \`lint_ignore: { ${id}: <reason> }\` on the node or an ancestor.`) },
              // GitHub code scanning reads `security-severity` (0–10) and `tags` from a rule's properties.
              properties: { tags: ['security', 'mcp', id.split('/')[0] ?? id], 'security-severity': SECURITY_SEVERITY[m?.severity ?? 'error'] },
            };
          }),
        },
      },
      columnKind: 'utf16CodeUnits',
      results: findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: index.get(f.rule)!,
        level: level(f.severity),
        message: { text: sarifText(f.message) },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: artifactUri(f.range.file) },
            region: {
              startLine: f.range.start.line, startColumn: f.range.start.col,
              endLine: Math.max(f.range.end.line, f.range.start.line),
              endColumn: f.range.end.line > f.range.start.line ? Math.max(f.range.end.col, 1) : Math.max(f.range.end.col, f.range.start.col + 1),
            },
          },
        }],
        partialFingerprints: { 'mandate/v1': `${f.rule}:${f.pointer}` },
        properties: { pointer: f.pointer },
      })),
    }],
  };
}
