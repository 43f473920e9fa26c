// A server's `env` in a policy (or `.vscode/mcp.json`) names secrets by reference: `${NAME}`, `$NAME` or VS
// Code's `${env:NAME}`. They are read from the environment of whoever starts the server — never written
// into the policy — and a reference to a variable that is not set is left out, not passed on as its text.

const REF = /^\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/;

/** `env` with each whole-value reference replaced by the variable's value from `source`; `missing`: references to unset variables (left out). */
export function resolveEnvRefs(env: Readonly<Record<string, string>>, source: Readonly<Record<string, string | undefined>>): { env: Record<string, string>; missing: string[] } {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const m = REF.exec(value);
    if (!m) {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const name = m[1] ?? m[2]!;
    const v = Object.prototype.hasOwnProperty.call(source, name) ? source[name] : undefined;
    if (v === undefined) missing.push(`${key} (\`${value}\`)`);
    else Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { env: out, missing };
}
