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

/** The definitions modules that pull in the YAML loader or node:crypto: sandbox code imports the pure ones directly. */
const definitionsIndex = {
  regex: '/definitions(/index|/load|/digest)?$',
  allowTypeImports: true,
  message: 'Import the pure definitions modules (schema, duration, graph) directly; the index pulls in the YAML loader and node:crypto.',
};
const sandboxPaths = sandboxBanned.map((name) => ({ name, message: 'Not allowed in workflow code: it is not deterministic or not sandbox-safe.' }));

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
          paths: sandboxPaths,
          patterns: [
            { group: ['**/activities', '**/activities/*'], allowTypeImports: true, message: 'Workflows import activities with `import type` only.' },
            definitionsIndex,
            // @opentelemetry/api is the trace context the sandbox's tracing interceptor keeps, not this project's api/.
            { group: ['**/db', '**/db/*', '**/api', '**/api/*', '**/cli/*', '**/workers/*', '!@opentelemetry/api'], message: 'Workflow code may not depend on I/O modules.' },
            { group: ['**/simulator', '**/simulator/*'], message: 'The simulator drives the policy on its own; workflows do not depend on it.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
    },
  },
  // The floors (see README, Layout): each folder imports only from the floors below it.
  {
    // policy/ is the floor of pure rules that workflows, the simulator, activities, db and api share:
    // it runs in the workflow sandbox too, so it imports definitions/ (the pure modules) and zod, nothing else.
    files: ['policy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sandboxPaths,
          patterns: [
            definitionsIndex,
            { regex: '^(?!\\.|zod$|@stdlib/stats-base-dists-normal-(cdf|quantile)$)', message: 'policy/ imports only definitions/, zod and the normal distribution of @stdlib.' },
            { regex: '^\\.\\./(?!definitions/)', message: 'policy/ imports only definitions/, zod and the normal distribution of @stdlib.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
    },
  },
  {
    // The simulator is pure: it drives the policy's stage machine over in-memory evidence.
    files: ['simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: sandboxPaths,
          patterns: [{ regex: '^\\.\\./(?!definitions/|policy/)', message: 'simulator/ imports only definitions/ and policy/.' }],
        },
      ],
    },
  },
  {
    // Activities and storage sit below the workflows: they share the rules through policy/, never workflows/.
    files: ['activities/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/workflows', '**/workflows/*', '**/api', '**/api/*'], message: 'activities/ and db/ import policy/, never workflows/ or api/.' }] },
      ],
    },
  },
  {
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/workflows', '**/workflows/*', '**/api', '**/api/*'], message: 'activities/ and db/ import policy/, never workflows/ or api/.' },
            { group: ['**/activities', '**/activities/*'], message: 'db/ is storage alone: activities build on it, not the other way round.' },
          ],
        },
      ],
    },
  },
);
