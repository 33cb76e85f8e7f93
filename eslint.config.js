// Lint for bugs, not for style: no formatting rules. TypeScript gets typescript-eslint's
// type-checked set (floating and misused promises, unsafe `any`); the plain JavaScript
// scripts get ESLint's recommended set only, since they are outside the TypeScript program.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'packages/*/dist/', 'examples/*/dist/', 'node_modules/', 'coverage/', '.tessera/', 'bench/results/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Every `async` without `await` here implements a Promise-returning interface (close(),
      // a body parser, a jest mock); `async` also turns a synchronous throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // `let` for a variable a closure reads before its one assignment (a signal handler set
      // up before the app exists): as `const` that read would throw in the temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // `const { secret: _omitted, ...rest } = value` is how a field is left out.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // A promise returned from inside try/catch escapes the catch unless awaited.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      // @types/jest types the asymmetric matchers (expect.any, objectContaining) as `any`, and
      // every object literal holding one is an "unsafe assignment". An untyped row or body is
      // still caught where it is used, by the other no-unsafe-* rules.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Runs in Chromium: loaded by the browser-session test; the hosted pages' scripts.
    files: ['test/e2e/browser/**/*.js', 'views/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
