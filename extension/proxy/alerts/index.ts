// Alerting's public API: the rule monitor over audit records and the sinks that deliver alerts.

export { alertHooks, followAlerts, openAlertedLog } from './attach';
export type { AlertHookOptions, AlertHooks } from './attach';
export { AlertMonitor, DEFAULT_RULES } from '../../../harness/alerts/rules';
export type { Alert, AlertKind } from '../../../harness/alerts/rules';
export { AlertConfigError, deliver, loopbackTarget, sinksFor, streamSink, webhookSink } from './sinks';
export type { AlertSink } from './sinks';
