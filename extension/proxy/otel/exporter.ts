// Audit export over OTLP/HTTP logs, on the official @opentelemetry SDK: each audit record becomes one log
// record (body: the record's JSON line; attributes: who, what, decision, chain position). The file log stays
// the source of truth; this is a copy for the collectors and SIEMs a team already runs.

import { SeverityNumber, type AnyValue, type Attributes, type Logger, type LogRecord } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AuditRecord, Sha256 } from '../../../policies';

export interface OtlpExportOptions {
  /** the collector's OTLP/HTTP logs endpoint, e.g. http://127.0.0.1:4318/v1/logs */
  url: string;
  headers?: Record<string, string>;
  /** `service.name` of the resource (default `mandate-proxy`) */
  serviceName?: string;
  /** more resource attributes (host, environment, tenant) */
  resource?: Record<string, string>;
  /** hashes the record line into `mandate.record_hash`, so a collector can re-check the chain */
  sha256?: Sha256;
  /** batch delay before records are sent (ms, default 1000) */
  delayMs?: number;
}

/** Map one audit record to an OpenTelemetry log record (pure). */
export function toLogRecord(r: AuditRecord, line: string, sha256?: Sha256, chainBroken = false): LogRecord {
  const a: Attributes = { 'mandate.kind': r.kind, 'mandate.seq': r.seq, 'mandate.prev': r.prev };
  // INVARIANT: a record from a log that failed verification is marked, so the collector cannot take it for a good one
  if (chainBroken) a['mandate.chain'] = 'broken';
  const put = (k: string, v: AnyValue | undefined): void => {
    if (v !== undefined && v !== null) a[k] = v;
  };
  if (sha256) put('mandate.record_hash', sha256(line));
  put('mandate.request_id', r.request_id);
  put('mandate.session', r.session);
  put('mandate.principal', r.caller?.principal ?? undefined);
  put('mandate.roles', r.caller?.roles);
  put('mandate.client.name', r.caller?.client?.name);
  put('mandate.client.version', r.caller?.client?.version);
  put('mandate.server', r.server);
  put('mandate.method', r.method);
  put('mandate.tool', r.tool);
  put('mandate.args_digest', r.args_digest);
  put('mandate.effect', r.decision?.effect);
  put('mandate.rules', r.decision?.rules);
  put('mandate.approval.state', r.approval?.state);
  put('mandate.approval.by', r.approval?.by);
  put('mandate.result.is_error', r.result?.is_error);
  put('mandate.latency_ms', r.result?.latency_ms);
  put('mandate.error.code', r.error?.code);
  put('mandate.policy.version', r.policy?.version);
  const t = Date.parse(r.time);
  return {
    eventName: `mandate.audit.${r.kind}`,
    ...(Number.isFinite(t) ? { timestamp: t } : {}),
    ...severity(r),
    body: line,
    attributes: a,
  };
}

function severity(r: AuditRecord): Pick<LogRecord, 'severityNumber' | 'severityText'> {
  if (r.kind === 'error' || r.result?.is_error) return { severityNumber: SeverityNumber.ERROR, severityText: 'ERROR' };
  if (r.decision?.effect === 'deny' || r.kind === 'drift' || (r.approval && r.approval.state !== 'asked' && r.approval.state !== 'granted')) {
    return { severityNumber: SeverityNumber.WARN, severityText: 'WARN' };
  }
  return { severityNumber: SeverityNumber.INFO, severityText: 'INFO' };
}

/**
 * The OTLP exporter, counting what the collector did not take: the batch processor drops a failed batch
 * silently (a refused connection or a 500 read as "exported").
 */
class CountingExporter implements LogRecordExporter {
  records = 0;
  error: Error | undefined;
  constructor(private readonly inner: LogRecordExporter) {}
  export(logs: ReadableLogRecord[], done: Parameters<LogRecordExporter['export']>[1]): void {
    this.inner.export(logs, (result) => {
      if ((result.code as number) !== 0) { // ExportResultCode.SUCCESS
        this.records += logs.length;
        this.error = result.error ?? new Error('the collector refused the records');
      }
      done(result);
    });
  }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
  forceFlush(): Promise<void> { return this.inner.forceFlush(); }
}

/** An OTLP/HTTP exporter for audit records: batched, never blocking the proxy's decision path. */
export class OtlpAuditExporter {
  private readonly provider: LoggerProvider;
  private readonly logger: Logger;
  private readonly counting: CountingExporter;

  constructor(private readonly options: OtlpExportOptions) {
    let u: URL;
    try {
      u = new URL(options.url);
    } catch {
      throw new TypeError(`otlp endpoint \`${options.url}\` is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`otlp endpoint \`${options.url}\` must be http:// or https://`);
    this.counting = new CountingExporter(new OTLPLogExporter({ url: options.url, ...(options.headers ? { headers: options.headers } : {}) }));
    this.provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'mandate-proxy', ...options.resource }),
      processors: [new BatchLogRecordProcessor({ exporter: this.counting, scheduledDelayMillis: options.delayMs ?? 1000 })],
    });
    this.logger = this.provider.getLogger('mandate.audit', '1');
  }

  /** Queue one record (with its exact line as written to the file log); `chainBroken`: its log fails verification. */
  export(record: AuditRecord, line: string, chainBroken = false): void {
    this.logger.emit(toLogRecord(record, line, this.options.sha256, chainBroken));
  }

  /** Send what is queued now. */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** How many records the collector has not taken so far, and the last reason. */
  failed(): { records: number; error?: Error } {
    return { records: this.counting.records, ...(this.counting.error ? { error: this.counting.error } : {}) };
  }

  /** Flush and stop. */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
