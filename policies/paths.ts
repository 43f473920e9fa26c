// Path containment for the `within` operator: normalise `.`, `..` and duplicate separators;
// refuse what a server might read differently (backslashes, percent-encoded dots or separators, overlong UTF-8,
// NUL, a relative path that climbs above its start, a URI scheme or drive letter or `//` in front).

export type NormalizedPath =
  | { ok: true; absolute: boolean; segments: string[] }
  | { ok: false; why: string };

/**
 * An encoded dot, slash, backslash or NUL — also encoded again (`%252e`: a server that decodes twice reads `.`) —
 * or the lead byte of an overlong UTF-8 form (`%c0%ae`, `%e0%80%af`: a lenient decoder reads `.` and `/`; no valid
 * UTF-8 has them, so an ordinary name never does).
 */
const ENCODED = /%(?:25)*(?:2e|2f|5c|00|c0|c1|e0%(?:25)*[89]|f0%(?:25)*8)/i;
/** One percent escape, as a server decoding the path reads it. */
const ESCAPE = /%[0-9a-f]{2}/gi;
/** Decoding rounds looked through; a path still decoding to something new after these is refused. */
const MAX_DECODES = 8;

/**
 * Whether the path holds an encoded dot, slash, backslash or NUL after any number of decodings. INVARIANT: every
 * escape counts, not only `%25`: `%25%32%65` decodes once to `%2e` and twice to `.`, so ENCODED alone (which sees
 * `%` followed by `25` and `2e`) let it through to a server that decodes twice.
 */
function encodesSeparator(path: string): boolean {
  let s = path;
  for (let round = 0; round < MAX_DECODES; round++) {
    if (ENCODED.test(s)) return true;
    if (!s.includes('%')) return false;
    // one byte per escape is enough: only the ASCII `%`, digits and letters that spell an escape matter here
    const next = s.replace(ESCAPE, (e) => String.fromCharCode(Number.parseInt(e.slice(1), 16)));
    if (next === s) return false;
    s = next;
  }
  return true;
}
/** `file:`, `https:`, `C:`: a path that names its own root (a URI scheme, a Windows drive) is not relative to the server's folder. */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Normalise a POSIX-style path, or say why it is refused. Pure string work, no file system. */
export function normalizePath(path: string): NormalizedPath {
  if (path.length === 0) return { ok: false, why: 'is empty' };
  if (path.includes('\\')) return { ok: false, why: 'contains a backslash' };
  if (path.includes('\u0000')) return { ok: false, why: 'contains a NUL byte' };
  if (path.includes('%') && encodesSeparator(path)) return { ok: false, why: 'contains a percent-encoded dot or separator' };
  if (SCHEME.test(path)) return { ok: false, why: 'starts with a URI scheme or a drive letter' };
  // `//host/share` is a network path on Windows, and POSIX leaves a leading `//` to the system
  if (path.startsWith('//')) return { ok: false, why: 'starts with two slashes (a network path on Windows)' };
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

/** A base folder, normalised once at compile time, as written and as a folding file system reads it. */
export interface PathBase {
  raw: string;
  absolute: boolean;
  segments: string[];
  folded: { absolute: boolean; segments: string[] };
}

/** Normalise a base folder of a `within` constraint; undefined when the base itself is refused (either reading). */
export function compileBase(raw: string): PathBase | undefined {
  const n = normalizePath(raw);
  const f = normalizePath(foldPath(raw));
  if (!n.ok || !f.ok) return undefined;
  return { raw, absolute: n.absolute, segments: n.segments, folded: { absolute: f.absolute, segments: f.segments } };
}

/** True when the normalised path is the base or inside it. */
export function isWithin(path: NormalizedPath & { ok: true }, base: { absolute: boolean; segments: readonly string[] }): boolean {
  if (path.absolute !== base.absolute) return false;
  if (path.segments.length < base.segments.length) return false;
  for (let i = 0; i < base.segments.length; i++) {
    if (path.segments[i] !== base.segments[i]) return false;
  }
  return true;
}

// eslint-disable-next-line no-control-regex -- ASCII is the fast path
const NON_ASCII = /[^\x00-\x7f]/;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
/** A name that ends in a dot or a space (before a separator or the end), or that holds a colon (an NTFS stream). */
const TRAILING = /[. ](?:\/|$)|:/;

/**
 * The path as file systems and servers that fold names read it: without default-ignorable characters (zero
 * widths, soft hyphens), in Unicode compatibility form (NFKC: NFD is NFC, `／` is `/`, `‥` is `..`, `％` is `%`),
 * in lower case (macOS and Windows ignore case; a final sigma `ς` is the sigma `σ` to both), and each name without
 * an NTFS stream suffix (`secrets::$INDEX_ALLOCATION` is the folder `secrets` on Windows) and without trailing dots
 * and spaces (Windows drops them; a name of only dots, or that starts with its colon, stays as it is).
 */
export function foldPath(path: string): string {
  const s = NON_ASCII.test(path) ? path.replace(IGNORABLE, '').normalize('NFKC').toLowerCase().replaceAll('ς', 'σ') : path.toLowerCase();
  if (!TRAILING.test(s)) return s;
  return s.split('/').map((seg) => {
    const colon = seg.indexOf(':');
    const name = colon > 0 ? seg.slice(0, colon) : seg;
    return name.replace(/[. ]+$/, '') || name;
  }).join('/');
}

/**
 * Whether `path` is within any of `bases`, or why that cannot be decided. INVARIANT: the path is decided only
 * when its reading as written and its folded reading (foldPath) agree: a path one file system places inside a
 * base and another outside it (`Secrets/key` against `secrets`) is undecidable, as a refused path is — so
 * neither a deny rule nor a `not` can be escaped by a spelling the server's file system reads as the base.
 */
export function containment(path: string, bases: readonly PathBase[]): { ok: true; inside: boolean } | { ok: false; why: string } {
  const n = normalizePath(path);
  if (!n.ok) return n;
  const inside = bases.some((b) => isWithin(n, b));
  const folded = foldPath(path);
  const f = folded === path ? n : normalizePath(folded);
  if (!f.ok) return { ok: false, why: `is read as \`${folded}\` where names are folded, which ${f.why}` };
  const foldedInside = bases.some((b) => isWithin(f, b.folded));
  if (foldedInside !== inside) {
    return { ok: false, why: `is ${inside ? '' : 'not '}within as written but ${inside ? 'not ' : ''}where case, Unicode forms or trailing dots are folded` };
  }
  return { ok: true, inside };
}
