// `mandate token issue|revoke`: short-lived access tokens for development and tests, signed with
// the key set of `mandate keys`, and revocation by jti into the list the HTTP proxy watches.

import { resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { DEFAULT_ISSUER, DEFAULTS, issueToken, KeyFileError, keyPaths, MAX_ISSUE_TTL_SEC, parseDuration, readJwksFile, revokeJti, signingKey } from '../../proxy/auth';
import { format, isoTime, parse, required } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';
import { DEFAULT_KEY_DIR } from './keys';

const usage = 'mandate token issue --sub S --aud RESOURCE-URI [--roles R1,R2] [--ttl 15m] [--iss ISSUER] [--not-before ISO] [--keys DIR] [--format text|json]\n'
  + '       mandate token revoke JTI|--token TOKEN [--keys DIR | --list FILE] [--reason TEXT] [--format text|json]';

function duration(text: string | undefined): number {
  if (text === undefined) return 900;
  try {
    const s = parseDuration(text);
    if (s <= 0 || s > MAX_ISSUE_TTL_SEC) throw new CliError(`--ttl must be between 1s and ${MAX_ISSUE_TTL_SEC / 3600}h, got \`${text}\``);
    return s;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--ttl: ${(err as Error).message}`);
  }
}

async function issue(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    sub: { type: 'string' }, aud: { type: 'string' }, roles: { type: 'string' }, ttl: { type: 'string' }, iss: { type: 'string' },
    'not-before': { type: 'string' }, keys: { type: 'string' }, format: { type: 'string' },
  }, usage, false);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const sub = required(values.sub, '--sub', usage);
  const aud = required(values.aud, '--aud', usage);
  if (!URL.canParse(aud)) throw new CliError(`--aud must be the proxy's resource URI (e.g. http://127.0.0.1:8080/mcp), got \`${aud}\``);
  const roles = values.roles === undefined ? undefined : values.roles.split(',').map((r) => r.trim()).filter(Boolean);
  if (roles !== undefined && roles.length === 0) throw new CliError(`--roles names no role (leave it out for a token whose roles come from the policy's \`agents\`)`);
  if (values.iss === '') throw new CliError('--iss is empty (leave it out for the default issuer)');
  const paths = keyPaths(resolve(io.cwd, values.keys ?? DEFAULT_KEY_DIR));
  let key;
  try {
    key = signingKey(readJwksFile(paths.privateJwks), paths.privateJwks);
  } catch (err) {
    if (err instanceof KeyFileError) throw new CliError(`${err.message} (run \`mandate keys generate\` first)`);
    throw err;
  }
  const nbf = values['not-before'] === undefined ? undefined : Math.floor(isoTime(values['not-before'], '--not-before', 0) / 1000);
  const ttlSec = duration(values.ttl);
  let t;
  try {
    t = await issueToken({
      key, sub, aud, iss: values.iss ?? DEFAULT_ISSUER, ttlSec, now: io.now(),
      ...(roles !== undefined ? { roles } : {}), ...(nbf !== undefined ? { nbfSec: nbf } : {}),
    });
  } catch (err) {
    // jose refuses key material it cannot import ("Invalid keyData"): the file is damaged, not the command
    throw new CliError(`key \`${String(key.kid ?? '?')}\` of \`${paths.privateJwks}\` cannot sign: ${(err as Error).message} (replace it with \`mandate keys rotate\`, or \`mandate keys generate --force\`)`);
  }
  // the proxy judges a token's lifetime from its iat, not its nbf: a token issued for later lives from now
  const { iat } = decodeJwt(t.token);
  if (typeof iat === 'number' && t.exp - iat > DEFAULTS.maxLifetimeSec) {
    println(io.stderr, `warning: this token's lifetime (${t.exp - iat}s from iat to exp) exceeds ${DEFAULTS.maxLifetimeSec}s, which \`mandate proxy --listen\` refuses unless started with --max-token-lifetime ${t.exp - iat}s or more`);
  }
  if (fmt === 'json') println(io.stdout, JSON.stringify({ token: t.token, jti: t.jti, kid: t.kid, exp: t.exp, expires: new Date(t.exp * 1000).toISOString() }, null, 2));
  else println(io.stdout, t.token);
  return 0;
}

async function revoke(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    keys: { type: 'string' }, list: { type: 'string' }, token: { type: 'string' }, reason: { type: 'string' }, format: { type: 'string' },
  }, usage);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  let jti = positionals[0];
  let exp: number | undefined;
  if (values.token !== undefined) {
    // reading the token's own claims without verifying is safe here: revoking can only take access away
    let p;
    try {
      p = decodeJwt(values.token);
    } catch {
      throw new CliError('--token is not a JWT');
    }
    if (typeof p.jti !== 'string') throw new CliError('--token has no `jti` claim to revoke');
    jti = p.jti;
    if (typeof p.exp === 'number') exp = p.exp;
  }
  if (jti === undefined || positionals.length > (values.token !== undefined ? 0 : 1)) throw new CliError(`expected one JTI (or --token)\nusage: ${usage}`);
  const list = resolve(io.cwd, values.list ?? keyPaths(resolve(io.cwd, values.keys ?? DEFAULT_KEY_DIR)).revocations);
  let added: boolean;
  try {
    added = revokeJti(list, { jti, at: new Date(io.now()).toISOString(), ...(exp !== undefined ? { exp } : {}), ...(values.reason ? { reason: values.reason } : {}) }, Math.floor(io.now() / 1000));
  } catch (err) {
    throw new CliError(`cannot update revocation list \`${list}\`: ${(err as Error).message}`);
  }
  if (fmt === 'json') println(io.stdout, JSON.stringify({ jti, list, added }, null, 2));
  else println(io.stdout, added ? `revoked \`${jti}\` in ${list}` : `\`${jti}\` was already revoked in ${list}`);
  return 0;
}

export const token: CommandSpec = {
  summary: 'issue a short-lived access token (development, tests) or revoke one by jti',
  usage,
  async run(argv, io) {
    const [action, ...rest] = argv;
    if (action === 'issue') return issue(rest, io);
    if (action === 'revoke') return revoke(rest, io);
    throw new CliError(`expected \`issue\` or \`revoke\`\nusage: ${usage}`);
  },
};
