// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const PAYMENT_FACE = {
  regex: '(^|/)payment/(?!index$)',
  message: "Import the payment module only through its face: '../payment' (src/payment/index.ts).",
};
const CALLBACK_FACE = {
  regex: '(^|/)callback/(?!index$)',
  message: "Import the callback module only through its face: './callback' (src/callback/index.ts).",
};
const NO_CALLBACK = {
  regex: '(^|/)callback(/|$)',
  message: 'The payment module never imports the callback module (callback → payment, never the reverse).',
};
const FACES = { regex: `${PAYMENT_FACE.regex}|${CALLBACK_FACE.regex}`, message: PAYMENT_FACE.message };
const CONFIG_SEAM = {
  regex:
    '(^|/)payment/(?!index$|channels/(env-fragments|config-namespaces)$|channels/[^/]+/[^/]+\\.(config|env|keys)$|channels/unionpay/acp-test-sample$)',
  message:
    "src/config and health may read only the channels' env fragments, config namespaces and key checks.",
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'eslint.config.mjs', 'jest.*.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn'] }],
    },
  },
  {
    files: ['bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  // Module faces (issue 23): outside its folder, src/payment is imported only through src/payment/index.ts
  // (services and types, never a repository), and src/callback only through src/callback/index.ts. The config
  // assembly (src/config, src/common/health) may read the channels' env fragments, config namespaces and
  // key checks (going through the face would be an import cycle: the payment module needs the config).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/payment/**', 'src/callback/**', 'src/sandbox/**', 'src/config/**', 'src/common/health/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [FACES] }] },
  },
  {
    files: ['src/callback/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PAYMENT_FACE] }] },
  },
  {
    files: ['src/payment/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_CALLBACK] }] },
  },
  {
    files: ['src/config/**/*.ts', 'src/common/health/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [CONFIG_SEAM, CALLBACK_FACE] }] },
  },
  // the simulators are written apart from the service: nothing of the payment module at all
  {
    files: ['src/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)(payment|callback)(/|$)',
              message:
                'The sandbox imports nothing of the service (issue 23): it talks to it over HTTP only.',
            },
            {
              regex: '(^|/)common/china-time$',
              message: 'The sandbox formats its own times (sandbox-time.ts), apart from the service (issue 23).',
            },
          ],
        },
      ],
    },
  },
);
