// Flat config: typescript-eslint's type-aware rules over every TypeScript folder of SPEC §2.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.test-build-*/', 'build.mjs', 'eslint.config.js', 'test/**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [] }],
    },
  },
  {
    // SPEC §2: ipc/ and units/ import nothing of ours; client/ never loads daemon/.
    files: ['ipc/**/*.ts', 'units/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../daemon/*', '../client/*', '../ipc/*', '../units/*'] }] },
  },
  {
    files: ['client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../daemon/*', '../../daemon/*'] }] },
  },
  {
    files: ['daemon/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../client/*', '../../client/*', '../units/*', '../../units/*'] }] },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
