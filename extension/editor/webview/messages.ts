// The one contract between the editor and the Simulate Agent report webview: message types and
// a runtime guard for each direction. The webview is untrusted input: every message is checked.

/** Messages the webview sends to the editor: act on counterexample `index` of the shown report. */
export type WebviewMessage =
  | { type: 'replay'; index: number }
  | { type: 'explain'; index: number }
  | { type: 'jump'; index: number }
  | { type: 'ready' };

/** Messages the editor sends to the webview. */
export type EditorMessage =
  | { type: 'status'; index: number; text: string };

const MAX_INDEX = 10_000;

/** Runtime guard for what the webview posts. */
export function isWebviewMessage(v: unknown): v is WebviewMessage {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  if (m['type'] === 'ready') return Object.keys(m).length === 1;
  if (m['type'] !== 'replay' && m['type'] !== 'explain' && m['type'] !== 'jump') return false;
  const i = m['index'];
  return Object.keys(m).length === 2 && typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < MAX_INDEX;
}

/** Runtime guard for what the editor posts (the webview script applies the same checks). */
export function isEditorMessage(v: unknown): v is EditorMessage {
  if (v === null || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return m['type'] === 'status' && typeof m['index'] === 'number' && typeof m['text'] === 'string' && m['text'].length <= 2000;
}

/** One audit record as the timeline shows it. */
export interface TimelineRow {
  seq: number;
  time: string;
  kind: string;
  who: string;
  client: string;
  server: string;
  tool: string;
  args: string;
  decision: string;
  approval: string;
  result: string;
}

/** Editor → timeline webview: the rows to show, newest first (bounded). */
export interface TimelineMessage {
  type: 'records';
  file: string;
  rows: TimelineRow[];
  verified: string;
}

/** Runtime guard for what the timeline webview posts back (only `ready`). */
export function isTimelineReady(v: unknown): v is { type: 'ready' } {
  return v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'ready' && Object.keys(v).length === 1;
}

/** Runtime guard for the timeline's `rendered` message (rows shown after the filter). */
export function isTimelineRendered(v: unknown): v is { type: 'rendered'; rows: number } {
  if (v === null || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return m['type'] === 'rendered' && typeof m['rows'] === 'number' && Number.isInteger(m['rows']) && Object.keys(m).length === 2;
}
