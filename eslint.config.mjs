// typescript-eslint with type information, and the folder import boundaries of DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https',
  'child_process', 'node:child_process', 'dgram', 'node:dgram', 'tls', 'node:tls', 'worker_threads', 'node:worker_threads', 'process', 'node:process'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'test/fixtures/**/*.js', '**/*.mjs', '**/*.cjs', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'use a string-literal union, not an enum' },
        { selector: 'ExportAllDeclaration', message: 'a folder API uses named exports, never export *' }],
    },
  },
  {
    // The core is data in, data out: only ajv and yaml.
    files: ['policies/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeIo, 'vscode', 'jose', 'fast-check'].map((name) => ({ name, message: 'policies/ is pure: no I/O, no vscode, jose or fast-check' })),
        patterns: [{ group: ['@modelcontextprotocol/*', 'node:*', '../harness/*', '../extension/*', '**/harness/**', '**/extension/**'], message: 'policies/ imports only ajv and yaml' }],
      }],
    },
  },
  {
    files: ['harness/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['vscode', 'jose'].map((name) => ({ name, message: 'harness/ never imports vscode or jose' })),
        patterns: [{ group: ['@modelcontextprotocol/*', '**/extension/**'], message: 'imports point inward: harness → policies only' }],
      }],
    },
  },
  {
    files: ['extension/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'only extension/editor imports vscode' }],
        patterns: [{ group: ['**/editor/**'], message: 'the CLI never imports the editor' },
          { group: ['@modelcontextprotocol/*'], message: 'only extension/proxy imports the MCP SDK' }],
      }],
    },
  },
  {
    files: ['extension/proxy/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'only extension/editor imports vscode' }],
        patterns: [{ group: ['**/editor/**', '**/cli/**'], message: 'the proxy never imports the editor or the CLI' }],
      }],
    },
  },
  {
    files: ['extension/editor/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/proxy/**', '**/cli/**', '@modelcontextprotocol/*'], message: 'the editor launches the built proxy as a process; it never imports proxy or cli' }],
      }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
);
