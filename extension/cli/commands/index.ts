// The command table. Each command lives in its own file; add it here to make it reachable.

import type { CommandSpec } from '../io';
import { approve, refuse } from './approve';
import { audit } from './audit';
import { check } from './check';
import { diff } from './diff';
import { keys } from './keys';
import { lint } from './lint';
import { pins } from './pins';
import { proxy } from './proxy';
import { report } from './report';
import { simulate } from './simulate';
import { test } from './test';
import { token } from './token';

export const commands: Record<string, CommandSpec> = {
  lint,
  test,
  check,
  simulate,
  diff,
  proxy,
  audit,
  approve,
  refuse,
  pins,
  token,
  keys,
  report,
};
