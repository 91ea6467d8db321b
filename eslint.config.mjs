// Lint rules that hold the architecture of ../DESIGN.md:
//  1. the layer dependency rule  definition ← graph ← interpreter → engine → store/components
//     (cli/ imports only src/index.ts; api/ and grpc/ are shells over host/; nothing in src/ but
//     cli/ imports src/index.ts);
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

/** Forbids importing src/index.ts from inside src/ (cli/ excepted), one block per folder depth. */
function doorRule() {
  return [1, 2, 3, 4].map((depth) => ({
    files: [`src/${'*/'.repeat(depth)}*.ts`],
    ignores: ['src/cli/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${'\\.\\./'.repeat(depth)}index(\\.js)?$`,
              message: 'src/index.ts is the public door and only re-exports: import the module you need directly (no circle through the door, DESIGN.md §1)',
            },
          ],
        },
      ],
    },
  }));
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
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'src/**/*.generated.ts'] },
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
    rules: { 'no-restricted-imports': forbidLayers(['graph', 'interpreter', 'engine', 'store', 'components', 'host', 'api', 'grpc', 'cli'], 'definition/ is the bottom layer: it may use expressions/ and errors only') },
  },
  {
    files: ['src/graph/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['interpreter', 'engine', 'store', 'components', 'host', 'api', 'grpc', 'cli'], 'graph/ depends only on definition/ and expressions/') },
  },
  {
    files: ['src/expressions/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'engine', 'store', 'components', 'host', 'api', 'grpc', 'cli'], 'expressions/ is a leaf module') },
  },
  {
    files: ['src/interpreter/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['store', 'host', 'api', 'grpc', 'cli'], 'interpreter/ talks to the engine, never to a store or the shells'), ...nonDeterminism },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'expressions', 'host', 'api', 'grpc', 'cli'], 'engine/ knows nothing about Serverless Workflow') },
  },
  {
    files: ['src/engine/replay/**/*.ts'],
    rules: nonDeterminism,
  },
  {
    files: ['src/store/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'expressions', 'engine', 'components', 'host', 'api', 'grpc', 'cli'], 'store/ persists opaque engine records; it imports no other layer') },
  },
  {
    files: ['src/components/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['definition', 'graph', 'interpreter', 'engine', 'store', 'host', 'api', 'grpc', 'cli'], 'components/ are side effects behind small interfaces') },
  },
  {
    // cli/ is a consumer of the public API (src/index.ts): it imports that file only, never a layer.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\.?/(\\.\\./)*(definition|graph|expressions|interpreter|engine|store|components|host|api|grpc)/',
              message: 'cli/ is a thin shell: import the public API (src/index.ts) only (layer rule, DESIGN.md §1)',
            },
            { regex: '^\\.\\.?/(\\.\\./)*errors\\.js$', message: 'import errors from the public API (src/index.ts)' },
          ],
        },
      ],
    },
  },
  {
    // api/ (HTTP) and grpc/ (Durable Task + Dapr gRPC) are thin shells over host/: no engine logic,
    // and never the other shell or cli/.
    files: ['src/api/**/*.ts', 'src/grpc/**/*.ts'],
    rules: { 'no-restricted-imports': forbidLayers(['cli'], 'api/ and grpc/ are shells over host/ and the layers') },
  },
  // The public door src/index.ts only re-exports: nothing inside src/ but cli/ (a consumer it does
  // not re-export) imports it, so there is no circle through it. A separate rule name
  // (@typescript-eslint/…) so these blocks do not replace the layer rules above; one block per
  // folder depth because '../index.js' two folders down is a layer's own index.
  ...doorRule(),
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
