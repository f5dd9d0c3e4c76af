// @ts-check
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

/** Modules that would break workflow determinism or the workflow sandbox. */
const sandboxBanned = [
  ...builtinModules,
  ...builtinModules.map((name) => `node:${name}`),
  'pg',
  'express',
  'yaml',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

module.exports = tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins,
    // and activities only as types (they are called through proxyActivities).
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sandboxBanned.map((name) => ({ name, message: 'Not allowed in workflow code: it is not deterministic or not sandbox-safe.' })),
          patterns: [
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Workflows import activities with `import type` only.' },
            {
              regex: '/definitions(/index|/load|/digest)?$',
              allowTypeImports: true,
              message: 'Import the pure definitions modules (schema, duration, graph) directly; the index pulls in the YAML loader and node:crypto.',
            },
            { group: ['**/db', '**/db/*', '**/api', '**/api/*', '**/cli/*', '**/workers/*'], message: 'Workflow code may not depend on I/O modules.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
    },
  },
);
