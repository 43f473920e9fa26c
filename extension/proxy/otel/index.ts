// Audit export for teams beyond one machine: OTLP/HTTP logs on the official OpenTelemetry SDK.

export { OtlpAuditExporter, toLogRecord } from './exporter';
export type { OtlpExportOptions } from './exporter';
