// The harness's public API: policy tests, the reference interpreter, the simulator, diff.

export { runPolicyTests, runPolicyTest, decideTest, testContext, testRoles, vacuousTest, schemaOnlyDenial, timeWarnings, DEFAULT_TEST_TIME } from './policyTests';
export type { TestOutcome } from './policyTests';
export { referenceDecide } from './reference';
export type { ReferenceDecision } from './reference';
export { simulate, DEFAULT_RUNS, failing, formatJunit, formatText, ReplayError } from './simulate';
export type {
  Counterexample, CoverageEntry, MatrixRow, PropertyKind, PropertyResult, ReportedCall, SimulateOptions, SimulateProgress,
  SimulationReport,
} from './simulate';
export { diffPolicies, formatDiffText } from './diff';
export type { DecisionChange, DiffOptions, DiffReport, PairChange, SettingChange } from './diff';
export { AlertMonitor, DEFAULT_RULES } from './alerts/rules';
export type { Alert, AlertKind } from './alerts/rules';
export { isDestructive, shownNames, starterPlan, starterPolicy } from './starter';
export type { StarterOptions, StarterPlan } from './starter';
