// The simulator's public API: simulate() and the report it returns, plus output formats.

export { simulate, DEFAULT_RUNS, CHUNK, ReplayError } from './simulate';
export type { SimulateOptions, SimulateProgress } from './simulate';
export type { Counterexample, CoverageEntry, MatrixRow, PropertyKind, PropertyResult, ReportedCall, RuleCalls, SimulationReport } from './report';
export { failing } from './report';
export { buildUniverse, UNDECLARED_ROLE } from './universe';
export type { Universe, ToolPlan } from './universe';
export { CallSpace } from './generate';
export type { Genome, SimCall } from './generate';
export { buildTargets } from './targets';
export type { Target } from './targets';
export { annotation, builtinProperties, invariantProblems, invariantProperties, malformedArgs, selector } from './properties';
export type { InvariantProblem, Property, Verdict } from './properties';
export { checkCommand, shellQuote, shellWords } from './commands';
export { formatJunit, formatText, matrixLines, resultLine, xmlEscape } from './format';
