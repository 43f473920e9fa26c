// Least privilege by role: a role declared `read_only` must not be granted a tool that can change things.

import type { FixData } from '../findings';
import { isGlob } from '../glob';
import type { ToolInfo } from '../types';
import { declaredArgs, stem } from './inputSchema';
import { expandIn, globMayChange, grantLabel, grantTools, hasManifest, isMatchAll, knownTools, scopeNames, toolEntries, toolNature } from './tools';
import type { LintRule, RuleFinding } from './types';

export const readOnlyWrites: LintRule = {
  id: 'least-privilege/read-only-writes',
  severity: 'error',
  why: 'a role declared `read_only` that holds a write tool is not read-only; reviewers trust the flag',
  example: 'roles: { reader: { read_only: true } }\ngrants: [{ agent_role: reader, tool: write_file }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    const roles = ctx.policy.roles ?? {};
    (ctx.policy.grants ?? []).forEach((g, i) => {
      const role = Object.prototype.hasOwnProperty.call(roles, g.agent_role) ? roles[g.agent_role] : undefined;
      if (role?.read_only !== true) return;
      const entries = toolEntries(g, `/grants/${i}`);
      for (const { pattern, pointer } of entries) {
        const writes = expandIn(ctx, pattern).map((t) => ({ t, n: toolNature(t.name, t.info) })).filter((x) => x.n.changes);
        let what: string;
        if (writes.length > 0) {
          const first = writes[0]!;
          const how = first.n.basis === 'annotations' ? 'its MCP annotations say it' : 'its name says it';
          what = isGlob(pattern) && hasManifest(ctx) ? `\`${pattern}\` matches ${writes.map((x) => `\`${x.t.name}\``).slice(0, 5).join(', ')}, which can change things` : `\`${pattern}\` can change things (${how})`;
        } else {
          // Without a manifest a glob is read by its words: `*_file` has none that change things, yet it matches
          // `delete_file`. Unless its fixed start is a reading verb (`read_*`), it may grant a write tool.
          // (`*` alone is over-broad/all-tools.)
          const could = isGlob(pattern) && !hasManifest(ctx) && !isMatchAll(pattern) ? globMayChange(pattern) : undefined;
          if (could === undefined) continue;
          what = `\`${pattern}\` can match \`${could}\` (without a manifest, only a glob that starts with a reading verb such as \`read_*\` reads as read-only): list the tools, or lint with \`--tools\``;
        }
        const fix: FixData = grantTools(g).length > 1
          ? { title: `remove \`${pattern}\` from this grant`, op: 'remove', pointer }
          : { title: 'remove this grant', op: 'remove', pointer: `/grants/${i}` };
        out.push({ message: `read-only role \`${g.agent_role}\` is granted a tool that can change things: ${what}`, pointer, range: ctx.source.range(pointer), fix: [fix] });
      }
    });
    return out;
  },
};

/**
 * A role's grant narrows an argument of one tool (`path` within docs for `read_file`) while another of its grants
 * gives a sibling tool — one of the same kind (both read-only, or both changing things, destructive alike) whose
 * input schema takes the same argument — with no constraint on it and no approval: the role reaches every value
 * of that argument through the sibling (the seed article's "scoped permissions" left off one of two similar
 * tools). Needs a manifest: only a tool's schema says which arguments it takes.
 */
export const unscopedSibling: LintRule = {
  id: 'least-privilege/unscoped-sibling',
  severity: 'warning',
  why: 'a constraint one grant puts on an argument (`path` within docs) is void when the same role holds a sibling tool of the same kind taking that argument (or the same value by another name, `paths`) with no constraint on it: the role reaches every value through the sibling (needs a manifest)',
  example: 'grants: [{ agent_role: docs, tool: read_file, scope: [docs_only] }, { agent_role: docs, tool: search_files }]   # search_files takes `path` too',
  check(ctx) {
    if (knownTools(ctx).size === 0) return [];
    const scopes = ctx.policy.scopes ?? {};
    const grants = (ctx.policy.grants ?? []).map((g, i) => {
      const keys = new Map<string, string>();
      for (const n of scopeNames(g.scope)) {
        const s = Object.prototype.hasOwnProperty.call(scopes, n) ? scopes[n] : undefined;
        for (const k of Object.keys(s?.args ?? {})) if (!keys.has(k)) keys.set(k, n);
      }
      const entries = toolEntries(g, `/grants/${i}`).map((e) => ({ ...e, tools: expandIn(ctx, e.pattern).filter((t) => t.info !== undefined) }));
      return { g, i, keys, entries };
    });
    const kind = (t: { name: string; info?: ToolInfo }): string => {
      const n = toolNature(t.name, t.info);
      return `${n.changes}/${n.destructive}`;
    };
    // only grants that narrow an argument can make another grant's sibling unscoped: index them by role
    const narrowing = new Map<string, typeof grants>();
    for (const x of grants) {
      if (x.keys.size === 0) continue;
      const list = narrowing.get(x.g.agent_role);
      if (list) list.push(x);
      else narrowing.set(x.g.agent_role, [x]);
    }
    const out: RuleFinding[] = [];
    for (const free of grants) {
      const narrowers = narrowing.get(free.g.agent_role);
      if (!narrowers) continue;
      if (free.g.requires_approval === true || scopeNames(free.g.scope).some((n) => !Object.prototype.hasOwnProperty.call(scopes, n))) continue;
      for (const entry of free.entries) {
        const said = new Set<string>();
        for (const t of entry.tools) {
          const takes = declaredArgs(t.info);
          if (!takes) continue;
          for (const narrow of narrowers) {
            if (narrow === free) continue;
            for (const [key, scope] of narrow.keys) {
              // the same value, spelt as this tool spells it: `path`, or `paths` for a tool reading several
              const own = takes.has(key) ? key : [...takes].find((k) => stem(k) === stem(key));
              if (own === undefined || free.keys.has(own) || said.has(own)) continue;
              const sibling = narrow.entries.flatMap((e) => e.tools).find((n) => n.name !== t.name && declaredArgs(n.info)?.has(key) === true && kind(n) === kind(t));
              if (!sibling) continue;
              said.add(own);
              const spelt = own === key ? `\`${key}\` too` : `\`${own}\` (\`${key}\` by another name)`;
              out.push({
                message: `\`${t.name}\` takes ${spelt}, but ${grantLabel(free.g, free.i)} gives it to \`${free.g.agent_role}\` with no constraint on \`${own}\`, while ${grantLabel(narrow.g, narrow.i)} narrows \`${key}\` for \`${sibling.name}\` (scope \`${scope}\`): the role reaches any \`${own}\` through \`${t.name}\` — ${own === key ? 'give this grant the same scope' : `constrain \`${own}\` too, or leave \`${t.name}\` out or behind approval (operators read a list as one value)`}`,
                pointer: entry.pointer, range: ctx.source.range(entry.pointer),
              });
            }
          }
        }
      }
    }
    return out;
  },
};
