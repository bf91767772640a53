import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // What the production bundle would carry whole (BENCHMARKS.md, "Issue 18, third pass (start-up)").
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'][importKind!='type']",
          message: "import * as z from 'zod': the named z keeps every zod locale (~290 KiB) in the bundle.",
        },
        {
          selector: "ImportDeclaration[source.value='undici'][importKind!='type'] > ImportSpecifier[importKind!='type']",
          message: "Pool and Agent come from src/undici-dispatchers.ts: undici's index is ~700 KiB of the bundle (types may come from 'undici').",
        },
      ],
    },
  },
  {
    files: ['scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
