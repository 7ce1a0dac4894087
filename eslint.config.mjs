import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The rooms and which way imports go (docs/architecture.md): core (src/redis, src/docker)
// <- services (src/*.ts) <- views (src/views) and commands (src/commands) <- src/extension.ts.
const upward = (room) =>
  `${room} never import from src/views or src/commands: publish an event (a service's onDidChange) that the view listens to, or take an interface the glue implements.`;
const noImportsOfViewsOrCommands = (room) => [
  { group: ['**/views', '**/views/**'], message: upward(room) },
  { group: ['**/commands', '**/commands/**'], message: upward(room) },
];
const noVscodeInCore = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        {
          name: 'vscode',
          message:
            'src/redis and src/docker stay free of VS Code: pass plain values in from src/views or src/commands.',
        },
      ],
      patterns: noImportsOfViewsOrCommands('src/redis and src/docker (the core)'),
    },
  ],
};
const servicesLookDown = {
  'no-restricted-imports': ['error', { patterns: noImportsOfViewsOrCommands('Services (src/*.ts)') }],
};
const viewsDoNotRunCommands = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: ['**/commands', '**/commands/**'],
          message:
            "Views render services' state; they name commands by id (item.command) and never import src/commands.",
        },
      ],
    },
  ],
};

// One module reads VS Code's configuration: src/settings.ts (validated, defaulted, one change event).
const settingsOnlyThroughSettingsModule = {
  'no-restricted-syntax': [
    'error',
    {
      selector: "MemberExpression[property.name='getConfiguration']",
      message:
        'Read settings through src/settings.ts (settings(), and SettingsWatcher.onDidChange): it validates and defaults them in one place.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/harness/**', 'test-results/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'multi-line'],
    },
  },
  { files: ['src/redis/**/*.ts', 'src/docker/**/*.ts'], rules: noVscodeInCore },
  { files: ['src/*.ts'], ignores: ['src/extension.ts', 'src/secondStage.ts'], rules: servicesLookDown },
  { files: ['src/views/**/*.ts'], rules: viewsDoNotRunCommands },
  { files: ['src/**/*.ts'], ignores: ['src/settings.ts'], rules: settingsOnlyThroughSettingsModule },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
  },
  {
    // CommonJS helpers (scripts/vscodeStandIn.cjs): shared by esbuild.mjs and the compiled tests.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
