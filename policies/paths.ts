// Path containment for the `within` operator: normalise `.`, `..` and duplicate separators;
// refuse what a server might read differently (backslashes, percent-encoded dots or separators, NUL, a
// relative path that climbs above its start).

export type NormalizedPath =
  | { ok: true; absolute: boolean; segments: string[] }
  | { ok: false; why: string };

const ENCODED = /%(2e|2f|5c|00)/i;

/** Normalise a POSIX-style path, or say why it is refused. Pure string work, no file system. */
export function normalizePath(path: string): NormalizedPath {
  if (path.length === 0) return { ok: false, why: 'is empty' };
  if (path.includes('\\')) return { ok: false, why: 'contains a backslash' };
  if (path.includes('\u0000')) return { ok: false, why: 'contains a NUL byte' };
  if (ENCODED.test(path)) return { ok: false, why: 'contains a percent-encoded dot or separator' };
  const absolute = path.startsWith('/');
  const segments: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segments.length > 0) segments.pop();
      // INVARIANT: `/..` is `/` (POSIX); a relative path that climbs above its start lands wherever the
      // server's working folder puts it (`../app/secrets/key` from /srv/app is /srv/app/secrets/key): refused,
      // so a deny rule or a `not` on `within` cannot be escaped by climbing out and back in.
      else if (!absolute) return { ok: false, why: 'climbs above the folder it starts from' };
      continue;
    }
    segments.push(seg);
  }
  return { ok: true, absolute, segments };
}

/** A base folder, normalised once at compile time. */
export interface PathBase {
  raw: string;
  absolute: boolean;
  segments: string[];
}

/** Normalise a base folder of a `within` constraint; undefined when the base itself is refused. */
export function compileBase(raw: string): PathBase | undefined {
  const n = normalizePath(raw);
  if (!n.ok) return undefined;
  return { raw, absolute: n.absolute, segments: n.segments };
}

/** True when the normalised path is the base or inside it. */
export function isWithin(path: NormalizedPath & { ok: true }, base: PathBase): boolean {
  if (path.absolute !== base.absolute) return false;
  if (path.segments.length < base.segments.length) return false;
  for (let i = 0; i < base.segments.length; i++) {
    if (path.segments[i] !== base.segments[i]) return false;
  }
  return true;
}
