// Where alerts go: stderr (one line each) and a webhook on loopback (HTTP POST of the alert as JSON).
// Delivery never throws into the caller: a failed delivery is reported on stderr and the proxy goes on.

import { request } from 'node:http';
import type { Writable } from 'node:stream';
import type { AlertsDef } from '../../../policies';
import type { Alert } from '../../../harness/alerts/rules';

/** A destination for alerts. */
export type AlertSink = (alert: Alert) => Promise<void>;

/** A bad `alerts:` setting (for example a webhook that is not on loopback). */
export class AlertConfigError extends Error {
  readonly code = 'alert_config';
}

/** One line per alert on a stream (the proxy's stderr: stdout is JSON-RPC only). */
export function streamSink(stream: Writable): AlertSink {
  return async (a) => {
    // (an alert about a record that could not be written has no seq)
    stream.write(`mandate alert ${a.severity} ${a.rule}: ${a.message} (${a.time}${a.seq.length > 0 ? `, seq ${a.seq.join(',')}` : ''})\n`);
  };
}

const LOOPBACK = new Map([['127.0.0.1', '127.0.0.1'], ['localhost', '127.0.0.1'], ['[::1]', '::1']]);

/** Check a webhook URL: plain http to a loopback address only. Returns the address to connect to. */
export function loopbackTarget(url: string): { host: string; port: number; path: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AlertConfigError(`alert webhook \`${url}\` is not a URL`);
  }
  const host = LOOPBACK.get(u.hostname);
  // INVARIANT: alerts carry tool names, principals and reasons; they never leave the machine through this
  // sink. `localhost` is pinned to 127.0.0.1 rather than resolved, so a hosts file cannot redirect it.
  if (u.protocol !== 'http:' || host === undefined || u.username !== '' || u.password !== '') {
    throw new AlertConfigError(`alert webhook \`${url}\` must be http:// on loopback (127.0.0.1, localhost or [::1])`);
  }
  return { host, port: u.port === '' ? 80 : Number(u.port), path: `${u.pathname}${u.search}` };
}

/** POST each alert as JSON to a loopback webhook; refuses any other URL at construction. */
export function webhookSink(url: string, onError: (message: string) => void, timeoutMs = 5000): AlertSink {
  const target = loopbackTarget(url);
  return (a) => new Promise<void>((resolve) => {
    const body = JSON.stringify({ source: 'mandate', alert: a });
    const req = request({
      host: target.host, port: target.port, path: target.path, method: 'POST', timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) onError(`alert webhook \`${url}\` answered ${res.statusCode}`);
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => {
      onError(`alert webhook \`${url}\` failed: ${err.message}`);
      resolve();
    });
    req.end(body);
  });
}

/** The sinks an `alerts:` section asks for; `editor` is supplied by the proxy when it has a control channel. */
export function sinksFor(config: AlertsDef, stderr: Writable, editor?: AlertSink): AlertSink[] {
  const out: AlertSink[] = [];
  if (config.stderr !== false) out.push(streamSink(stderr));
  if (config.webhook !== undefined) out.push(webhookSink(config.webhook, (m) => stderr.write(`mandate: ${m}\n`)));
  if (config.editor !== false && editor) out.push(editor);
  return out;
}

/** Deliver an alert to every sink; resolves when all have finished (or failed and said so). */
export async function deliver(sinks: readonly AlertSink[], alert: Alert): Promise<void> {
  await Promise.all(sinks.map((s) => s(alert)));
}
