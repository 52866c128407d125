// Lint rules: the recommended sets of ESLint and typescript-eslint, plus three type-aware rules on server/**
// only (stores and services are async: a promise nobody awaits would let a write escape its transaction). Formatting is Prettier's; `npm run lint` checks both and `npm test` runs it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'web/dist/', 'data/', 'test-output/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // Control characters in patterns are how names and text refuse them.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Type-aware, so only where promises from stores flow: server code, not tests, web or scripts.
    files: ['server/**/*.ts'],
    ignores: ['server/**/*.test.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // express 5 turns a handler's rejected promise into an error response, so async handlers are fine.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // Tests poke at untyped JSON answers; `any` there is the honest type.
    files: ['test/**', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
