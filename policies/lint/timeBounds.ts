// Time-bounded grants: emergency and debug access must expire soon; expired and empty windows are dead.

import type { Grant } from '../types';
import { parseDateTime } from '../time';
import { DAY_MS, grantLabel as label, horizonDays, isoAfter, words } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

/** Words that mark emergency, debug or temporary access. */
const EMERGENCY = /(^|[^a-z])(emergency|break[-_ ]?glass|debug|temp|temporary|hotfix|incident|sudo|override)([^a-z]|$)/i;

/** The words that mark emergency access even in prose. */
const STRONG = /(^|[^a-z])(emergency|break[-_ ]?glass)([^a-z]|$)/i;

/** True when a name is one of EMERGENCY's words, in any case style: `debug_admin`, `breakGlassOps`, `DebugAccess`. */
function named(name: string): boolean {
  return EMERGENCY.test(name) || EMERGENCY.test(words(name).join('_'));
}

/** Why a grant counts as emergency access, or undefined. */
export function emergencyReason(ctx: LintContext, g: Grant): string | undefined {
  const role = ctx.policy.roles && Object.prototype.hasOwnProperty.call(ctx.policy.roles, g.agent_role) ? ctx.policy.roles[g.agent_role] : undefined;
  if (role?.emergency === true) return `role \`${g.agent_role}\` is marked \`emergency\``;
  if (named(g.agent_role)) return `role \`${g.agent_role}\` is named for emergency or debug access`;
  if (g.id !== undefined && named(g.id)) return `grant \`${g.id}\` is named for emergency or debug access`;
  // prose only by its unambiguous words: "reads incident tickets" is no emergency access
  if (g.description !== undefined && STRONG.test(g.description)) return 'its description says it is emergency access';
  // the role's own description is where a break-glass role is usually explained (`oncall_elevated: { description: Break-glass … }`);
  // only the unambiguous words there: a role that "reads temp files" or "triages incident tickets" is no emergency access
  if (role?.description !== undefined && STRONG.test(role.description)) return `role \`${g.agent_role}\`'s description says it is emergency access`;
  return undefined;
}

export const emergencyWithoutExpiry: LintRule = {
  id: 'time/emergency-without-expiry',
  severity: 'error',
  why: 'emergency and debug permissions left on forever are a mistake the seed article names: they must expire',
  example: '- { agent_role: debug_admin, tool: restart_service }   # no expires',
  check(ctx) {
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (g.expires !== undefined) return;
      const why = emergencyReason(ctx, g);
      if (!why) return;
      const pointer = `/grants/${i}`;
      const at = isoAfter(ctx.now, Math.min(horizonDays(ctx), 7));
      out.push({ message: `${label(g, i)} has no \`expires\` but ${why}: emergency access must end`, pointer: `${pointer}/agent_role`, range: ctx.source.range(`${pointer}/agent_role`),
        fix: [{ title: `add \`expires: ${at}\``, op: 'add', pointer: `${pointer}/expires`, value: at }] });
    });
    return out;
  },
};

export const expiryBeyondHorizon: LintRule = {
  id: 'time/expiry-beyond-horizon',
  severity: 'warning',
  why: 'an emergency grant that expires next year is a permanent grant in practice',
  example: '- { agent_role: oncall_breakglass, tool: restart_service, expires: 2030-01-01T00:00:00Z }',
  check(ctx) {
    const out: RuleFinding[] = [];
    const days = horizonDays(ctx);
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (g.expires === undefined) return;
      const t = parseDateTime(g.expires, 'up');
      // the window is measured from when it opens: a two-week break-glass window scheduled next year is still two weeks
      const opens = g.not_before !== undefined ? parseDateTime(g.not_before, 'up') : NaN;
      const from = Number.isFinite(opens) && opens > ctx.now ? opens : ctx.now;
      if (!(t > from + days * DAY_MS)) return;
      const why = emergencyReason(ctx, g);
      if (!why) return;
      const pointer = `/grants/${i}/expires`;
      const at = isoAfter(from, days);
      const ahead = from === ctx.now ? `more than ${days} days ahead` : `more than ${days} days after it opens (\`${g.not_before}\`)`;
      out.push({ message: `${label(g, i)} expires \`${g.expires}\`, ${ahead}, but ${why} (set \`lint.expiry_horizon_days\` to change the horizon)`,
        pointer, range: ctx.source.range(pointer), fix: [{ title: `expire at \`${at}\``, op: 'replace', pointer, value: at }] });
    });
    return out;
  },
};

export const unreadableTime: LintRule = {
  id: 'time/unreadable',
  severity: 'error',
  why: 'a `not_before` or `expires` that the schema admits but that names no instant (a minute 60 the leap-second rule lets through) makes the grant never match',
  example: '- { agent_role: ops, tool: deploy, expires: "2026-01-01T13:60:00+14:01" }',
  check(ctx) {
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      for (const key of ['not_before', 'expires'] as const) {
        const v = g[key];
        if (v === undefined || !Number.isNaN(parseDateTime(v))) continue;
        const pointer = `/grants/${i}/${key}`;
        out.push({ message: `${label(g, i)} \`${key}\` \`${v}\` names no instant: the grant never matches`, pointer, range: ctx.source.range(pointer) });
      }
    });
    return out;
  },
};

export const expired: LintRule = {
  id: 'time/expired',
  severity: 'warning',
  why: 'an expired grant allows nothing: it is dead text that misleads reviewers',
  example: '- { agent_role: contractor, tool: read_file, expires: 2020-01-01T00:00:00Z }',
  check(ctx) {
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (g.expires === undefined) return;
      const t = parseDateTime(g.expires, 'up');
      if (Number.isNaN(t) || t > ctx.now) return; // unreadable: time/unreadable
      const pointer = `/grants/${i}/expires`;
      out.push({ message: `${label(g, i)} expired at \`${g.expires}\`: it allows nothing`, pointer, range: ctx.source.range(pointer),
        fix: [{ title: 'remove the expired grant', op: 'remove', pointer: `/grants/${i}` }] });
    });
    return out;
  },
};

export const emptyWindow: LintRule = {
  id: 'time/not-before-after-expiry',
  severity: 'error',
  why: 'a grant whose `not_before` is not before its `expires` is never valid (expires is exclusive)',
  example: '- { agent_role: ops, tool: deploy, not_before: 2026-12-01T00:00:00Z, expires: 2026-11-01T00:00:00Z }',
  check(ctx) {
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (g.expires === undefined || g.not_before === undefined) return;
      const [from, to] = [parseDateTime(g.not_before, 'up'), parseDateTime(g.expires, 'up')];
      if (Number.isNaN(from) || Number.isNaN(to) || from < to) return; // unreadable: time/unreadable
      const pointer = `/grants/${i}/not_before`;
      out.push({ message: `${label(g, i)} starts at \`${g.not_before}\`, not before it expires at \`${g.expires}\`: it is never valid`, pointer, range: ctx.source.range(pointer) });
    });
    return out;
  },
};
