// The compliance report's public API: build the model, render it as self-contained HTML, Markdown or JSON.

export { buildReport } from './model';
export type { IntegrityEntry, ReportFinding, ReportInput, ReportLog, ReportModel } from './model';
export { renderHtml } from './html';
export { renderMarkdown } from './markdown';
export { buildMatrix, describeConstraint } from './matrix';
export type { CellEffect, Matrix, MatrixCell } from './matrix';
export { buildActivity, MAX_BUCKETS } from './activity';
export type { Activity, Bucket, ToolActivity } from './activity';
