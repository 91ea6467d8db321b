// Lint rules that hold the architecture of ../DESIGN.md:
//  1. the layer dependency rule  definition ← graph ← interpreter → engine → store/components
//     (api/ and cli/ import only src/index.ts);
//  2. no wall clock or randomness in deterministic replay code (src/interpreter/**, src/engine/replay/**).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Builds a no-restricted-imports rule that forbids importing the named layers. */
function forbidLayers(layers, why) {
  return [
    'error',
    {
      patterns: layers.map((layer) => ({
        regex: `^\\.\\.?/(\\.\\./)*${layer}/`,
        message: `${why} (layer rule, DESIGN.md §1)`,
      })),
    },
  ];
}

const nonDeterminism = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Replay code takes time from history (ctx.currentTime), not the wall clock.' },
    { object: 'Math', property: 'random', message: 'Replay code must be deterministic: derive ids/randomness from history.' },
    { object: 'performance', property: 'now', message: 'Replay code takes time from history, not the wall clock.' },
    { object: 'crypto', property: 'randomUUID', message: 'Replay code derives ids from history (deterministic UUIDs).' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the wall clock; use the orchestration time from history.' },
    { selector: "CallExpression[callee.name='setTimeout']", message: 'Timers in replay code must be durable timers (ctx.createTimer).' },
    { selector: "CallExpression[callee.name='setInterval']", message: 'Timers in replay code must be durable timers (ctx.createTimer).' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Timers in replay code must be durable timers (ctx.createTimer).' },
    { name: 'setInterval', message: 'Timers in replay code must be durable timers (ctx.createTimer).' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/definition/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['graph', 'interpreter', 'engine', 'store', 'components', 'api', 'cli'], 'definition/ is the bottom layer: it may use expressions/ and errors only') },
  },
  {
    files: ['src/graph/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['interpreter', 'engine', 'store', 'components', 'api', 'cli'], 'graph/ depends only on definition/ and expressions/') },
  },
  {
    files: ['src/expressions/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'engine', 'store', 'components', 'api', 'cli'], 'expressions/ is a leaf module') },
  },
  {
    files: ['src/interpreter/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['store', 'api', 'cli'], 'interpreter/ talks to the engine, never to a store or the shells'), ...nonDeterminism },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'expressions', 'api', 'cli'], 'engine/ knows nothing about Serverless Workflow') },
  },
  {
    files: ['src/engine/replay/**/*.ts'],
    rules: nonDeterminism,
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'expressions', 'engine', 'components', 'api', 'cli'], 'store/ persists opaque engine records; it imports no other layer') },
  },
  {
    files: ['src/components/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'engine', 'store', 'api', 'cli'], 'components/ are side effects behind small interfaces') },
  },
  {
    // api/ and cli/ are thin shells over the public API (src/index.ts): they may import their own
    // files and ../index.js, never a layer directly.
    files: ['src/api/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\.?/(\\.\\./)*(definition|graph|expressions|interpreter|engine|store|components)/',
              message: 'api/ and cli/ are thin shells: import the public API (src/index.ts) only (layer rule, DESIGN.md §1)',
            },
            { regex: '^\\.\\.?/(\\.\\./)*errors\\.js$', message: 'import errors from the public API (src/index.ts)' },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
