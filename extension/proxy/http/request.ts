// Reading one HTTP request safely: Host and Origin checks (DNS-rebinding protection), the bearer
// token from the Authorization header only, and a body bounded in bytes before it is parsed.

import type { IncomingMessage } from 'node:http';

/** The Host values a loopback listener answers to (`localhost`, the address itself), with the port. */
export function loopbackHosts(host: string, port: number): string[] {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [...new Set([`${h}:${port}`, `localhost:${port}`])];
}

/** Is `host` a loopback address or name? */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A request is refused unless its Host is ours and its Origin (when sent) is allowed. */
export function originProblem(req: IncomingMessage, hosts: ReadonlySet<string>, origins: ReadonlySet<string>): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return `host \`${host.slice(0, 100)}\` is not this proxy (DNS rebinding protection)`;
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin.toLowerCase())) return `origin \`${origin.slice(0, 100)}\` is not allowed`;
  return undefined;
}

/** The bearer token of `Authorization: Bearer …`; `invalid` for any other shape, undefined when absent. */
export function bearerToken(req: IncomingMessage): { token?: string; invalid?: string } {
  const raw = req.headers.authorization;
  if (raw === undefined) return {};
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(raw);
  if (!m) return { invalid: 'the Authorization header is not `Bearer <token>`' };
  return { token: m[1]! };
}

export type Body = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; message: string };

/** Read and parse a JSON body of at most `max` bytes; stops reading as soon as it is over. */
export function readJsonBody(req: IncomingMessage, max: number): Promise<Body> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > max) return resolve({ ok: false, status: 413, message: `request body is larger than ${max} bytes` });
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type)) return resolve({ ok: false, status: 415, message: 'content type must be application/json' });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.pause();
        return resolve({ ok: false, status: 413, message: `request body is larger than ${max} bytes` });
      }
      chunks.push(c);
    });
    req.on('error', () => { if (!done) { done = true; resolve({ ok: false, status: 400, message: 'request body could not be read' }); } });
    req.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch (err) {
        resolve({ ok: false, status: 400, message: `request body is not JSON: ${(err as Error).message.split('\n')[0]}` });
      }
    });
  });
}

/** Is this parsed body an `initialize` request (alone or first in a batch)? */
export function isInitialize(body: unknown): boolean {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  return typeof first === 'object' && first !== null && (first as { method?: unknown }).method === 'initialize';
}
