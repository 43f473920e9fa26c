// `mandate keys generate|rotate`: the signing keys behind `mandate token issue` and the JWKS the
// HTTP proxy verifies with (`--jwks DIR/jwks.json`); every key has a kid, the first one signs.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { emptyRevocations, KEY_ALGORITHMS, KeyFileError, keyPaths, newSigningKey, rotateKeys, writeKeySets, type KeyAlgorithm } from '../../proxy/auth';
import { format, parse } from '../args';
import { readFailure } from '../../proxy/readBounded';
import { CliError, println, type CommandSpec } from '../io';

const usage = 'mandate keys generate|rotate [--dir DIR] [--alg ES256|ES384|RS256|PS256|EdDSA] [--keep N] [--force] [--format text|json]';
export const DEFAULT_KEY_DIR = '.mandate/keys';

function algOf(value: string | undefined): KeyAlgorithm {
  if (value === undefined) return 'ES256';
  if ((KEY_ALGORITHMS as readonly string[]).includes(value)) return value as KeyAlgorithm;
  throw new CliError(`unknown algorithm \`${value}\` (expected ${KEY_ALGORITHMS.join(', ')})`);
}

export const keys: CommandSpec = {
  summary: 'generate or rotate the signing keys (a JWKS with kid) for tokens and the HTTP proxy',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      dir: { type: 'string' }, alg: { type: 'string' }, keep: { type: 'string' }, force: { type: 'boolean' }, format: { type: 'string' },
    }, usage);
    const [action, ...extra] = positionals;
    if ((action !== 'generate' && action !== 'rotate') || extra.length > 0) throw new CliError(`expected \`generate\` or \`rotate\`\nusage: ${usage}`);
    const fmt = format(values.format, ['text', 'json'] as const, 'text');
    const dir = resolve(io.cwd, values.dir ?? DEFAULT_KEY_DIR);
    const paths = keyPaths(dir);
    const alg = algOf(values.alg);
    let out: { action: string; kid: string; alg: string; retired: string[]; jwks: string; signing: string; revocations: string };
    try {
      if (action === 'generate') {
        if (existsSync(paths.privateJwks) && values.force !== true) throw new CliError(`\`${paths.privateJwks}\` exists; use \`mandate keys rotate\` (or --force to replace every key)`);
        const key = await newSigningKey(alg, io.now());
        writeKeySets(paths, [key]);
        if (!existsSync(paths.revocations)) emptyRevocations(paths.revocations);
        out = { action, kid: key.kid!, alg, retired: [], jwks: paths.publicJwks, signing: paths.privateJwks, revocations: paths.revocations };
      } else {
        const keep = values.keep === undefined ? 2 : Number(values.keep);
        if (!Number.isInteger(keep) || keep < 1 || keep > 20) throw new CliError(`--keep expects 1..20, got \`${values.keep}\``);
        const r = await rotateKeys(paths, alg, keep, io.now());
        out = { action, kid: r.added.kid!, alg, retired: r.retired, jwks: paths.publicJwks, signing: paths.privateJwks, revocations: paths.revocations };
      }
    } catch (err) {
      if (err instanceof KeyFileError || err instanceof CliError) throw err instanceof CliError ? err : new CliError(err.message);
      // the folder cannot hold the keys (a file or device in the way, no permission): say where and why
      if (typeof (err as NodeJS.ErrnoException).code === 'string') throw new CliError(`cannot write the keys into \`${dir}\`: ${readFailure(err)}`);
      throw err;
    }
    if (fmt === 'json') println(io.stdout, JSON.stringify(out, null, 2));
    else {
      println(io.stdout, `${action === 'generate' ? 'generated' : 'rotated to'} key \`${out.kid}\` (${alg}); it signs new tokens`);
      if (out.retired.length > 0) println(io.stdout, `retired: ${out.retired.map((k) => `\`${k}\``).join(', ')} (tokens signed with them no longer verify)`);
      println(io.stdout, `public JWKS: ${out.jwks}`);
      println(io.stdout, `signing keys (keep secret): ${out.signing}`);
    }
    return 0;
  },
};
