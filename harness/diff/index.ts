// The diff's public API: compare two policies' decisions, exact per pair then by generated calls.

export { diffPolicies, widens } from './diff';
export type { DecisionChange, DiffOptions, DiffReport, PairChange } from './diff';
export { formatDiffText } from './format';
export { pairState } from './pairs';
export { settingChanges } from './sections';
export type { SettingChange } from './sections';
export type { Access, PairState } from './pairs';
