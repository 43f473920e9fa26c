// `--help` on a command and on its subcommands: each names every subcommand the command runs.

import assert from 'node:assert/strict';
import { runCli } from '../../support/cli';

describe('mandate: --help', function () {
  this.timeout(60_000);

  it('audit --help names all five subcommands with their flags (it showed only verify and show)', async () => {
    for (const args of [['audit', '--help'], ['audit', 'review', '--help'], ['audit', 'alerts', '--help'], ['audit', 'export', '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /mandate audit verify FILE \[--anchor SEQ:HASH\]…/, args.join(' '));
      assert.match(r.stdout, /mandate audit show FILE /, args.join(' '));
      assert.match(r.stdout, /mandate audit review --policy P LOG… .*--min-approvals N/, args.join(' '));
      assert.match(r.stdout, /mandate audit alerts --policy P LOG \[--follow\] \[--webhook URL\]/, args.join(' '));
      assert.match(r.stdout, /mandate audit export --otlp URL LOG… \[--header k=v\]… \[--service NAME\] \[--follow\]/, args.join(' '));
    }
  });

  it('an unknown audit subcommand lists the usage of all five', async () => {
    const r = await runCli(['audit', 'exprot']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown audit command `exprot` \(expected verify, show, review, alerts, export\)/);
    assert.match(r.stderr, /mandate audit export --otlp URL/);
  });
});
