// Entry of the in-editor suite: VS Code's extension host calls run(); mocha runs the bundled tests
// once per VS Code launch of test/editor/run.mjs — those for the workspace it opened (one folder, or multi-root).

import Mocha from 'mocha';
import * as vscode from 'vscode';

/** Called by VS Code's test runner inside the extension host. */
export async function run(): Promise<void> {
  const grep = process.env['MANDATE_EDITOR_GREP'];
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60000, reporter: 'spec', ...(grep ? { grep } : {}) });
  // the bundle holds the test files: expose mocha's globals, then load them
  mocha.suite.emit('pre-require', globalThis, 'bundle', mocha);
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after mocha's globals exist */
  // run.mjs launches twice: a multi-root workspace runs the multi-root tests, a single folder everything else
  if ((vscode.workspace.workspaceFolders?.length ?? 0) > 1) require('./multiRoot.test');
  else requireSingleFolderTests();
  /* eslint-enable @typescript-eslint/no-require-imports */
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} editor test(s) failed`);
}

function requireSingleFolderTests(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after mocha's globals exist */
  require('./activation.test');
  require('./diagnostics.test');
  require('./quickFix.test');
  require('./explain.test');
  require('./authoring.test');
  require('./simulate.test');
  require('./newPolicy.test');
  require('./guard.test');
  require('./approvals.test');
  require('./audit.test');
  /* eslint-enable @typescript-eslint/no-require-imports */
}
