// The audit timeline webview page: a filter box and a table the editor fills with `records` messages.
// CSP allows only this page's nonce; rows are inserted as text, never as HTML.

/** The page; its script renders the rows the editor posts (see messages.ts TimelineMessage). */
export function timelineHtml(nonce: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'">
<style nonce="${nonce}">body{font-family:var(--vscode-font-family);color:var(--vscode-foreground)}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid var(--vscode-panel-border);padding:2px 6px;font-size:12px;text-align:left;vertical-align:top}
tr.deny td.d{color:#e53935}tr.allow td.d{color:#2e7d32}tr.approval_required td.d{color:#f9a825}input{width:40em}#file{opacity:.7}</style>
<title>Mandate audit timeline</title></head><body>
<h2>Audit timeline</h2><p id="file"></p><p id="verified"></p>
<p><input id="filter" placeholder="filter: role, tool, decision, agent… (all words must match)"> <span id="count"></span></p>
<table><thead><tr><th>#</th><th>time</th><th>kind</th><th>who</th><th>agent</th><th>server</th><th>tool</th><th>arguments</th><th>decision</th><th>approval</th><th>result</th></tr></thead><tbody id="rows"></tbody></table>
<script nonce="${nonce}">
const vscode = acquireVsCodeApi(); let rows = [];
const cols = ['seq','time','kind','who','client','server','tool','args','decision','approval','result'];
function render() { const words = document.getElementById('filter').value.toLowerCase().split(/\\s+/).filter(Boolean);
  const body = document.getElementById('rows'); body.textContent = '';
  const shown = rows.filter((r) => words.every((w) => cols.some((c) => String(r[c]).toLowerCase().includes(w))));
  for (const r of shown) { const tr = document.createElement('tr'); tr.className = String(r.decision).split(':')[0];
    for (const c of cols) { const td = document.createElement('td'); if (c === 'decision') td.className = 'd'; td.textContent = String(r[c]); tr.appendChild(td); }
    body.appendChild(tr); }
  document.getElementById('count').textContent = shown.length + ' of ' + rows.length;
  vscode.postMessage({ type: 'rendered', rows: shown.length }); }
window.addEventListener('message', (e) => { const m = e.data; if (!m || m.type !== 'records' || !Array.isArray(m.rows)) return;
  rows = m.rows; document.getElementById('file').textContent = String(m.file); document.getElementById('verified').textContent = String(m.verified); render(); });
document.getElementById('filter').addEventListener('input', render);
vscode.postMessage({ type: 'ready' });
</script></body></html>`;
}
