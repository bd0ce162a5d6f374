// The linter of `npm test`. typescript-eslint's recommended rules, not the type-checked set (too slow on two
// cores; tsc already checks types), plus the few house rules a machine can keep.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.demo-output/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      // tsc checks names in .ts files; the few .js/.mjs files run on Node.
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'],
      // A parameter says what it holds: `o` says nothing (the house rule of issue 21).
      'no-restricted-syntax': [
        'error',
        {
          selector: ':function > Identifier.params[name="o"], :function > AssignmentPattern.params > Identifier.left[name="o"]',
          message: 'Name the parameter for what it holds, not `o`.',
        },
      ],
    },
  },
  {
    // No async function that awaits nothing: return the promise plainly, or Promise.resolve(value) where the
    // signature needs one. ESLint's own rule, not typescript-eslint's type-aware twin: that would build the type
    // program on every lint (about 2.5× the time and 3× the memory here). Tests' fakes often stand in for async
    // interfaces, so the rule is for the code that ships and the scripts.
    files: ['src/**', 'scripts/**'],
    rules: { 'require-await': 'error' },
  },
  {
    // stdout is the JSON-RPC channel: the server logs to stderr (util/log.ts). A command that is not the server
    // says why on the line before (`// eslint-disable-next-line no-restricted-properties -- <why>`) and ends the
    // writing line with `// stdout-ok`, the marker the project's standing check of stdout looks for.
    files: ['src/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error', { object: 'process', property: 'stdout', message: 'stdout is JSON-RPC: log through the Logger (stderr).' }],
    },
  },
  {
    // The RunComfy client knows HTTP and nothing of MCP.
    files: ['src/runcomfy/**', 'src/http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@modelcontextprotocol/*', '../tools/*', '../resources/*'], message: 'runcomfy/ and http/ know nothing of MCP.' }] },
      ],
    },
  },
);
