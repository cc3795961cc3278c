import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test-output/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // The web UI: Vue single-file components with TypeScript script blocks. Formatting is
  // prettier's job, so only the plugin's correctness rules apply; vue-tsc checks the types.
  ...pluginVue.configs['flat/essential'],
  {
    files: ['ui/**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['ui/src/**/*.{ts,vue}'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['../../core/*', '../../../core/*'] }] },
  },
);
