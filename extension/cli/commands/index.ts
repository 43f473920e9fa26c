// The command table. Each command lives in its own file; add it here to make it reachable.

import type { CommandSpec } from '../io';
import { check } from './check';
import { lint } from './lint';
import { test } from './test';

export const commands: Record<string, CommandSpec> = {
  lint,
  test,
  check,
};
