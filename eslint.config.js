// Lint is part of `npm test`. Besides style, it enforces the architecture:
// a service never imports another service's source (only packages/), and
// import cycles are errors.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';

const services = readdirSync(new URL('./services/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.bazaar/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    // Module paths resolved as Node does (package exports included). Without a resolver named here, import-x falls
    // back to one called "node" and found this repository's `node` package (the Node binary) instead.
    settings: { 'import-x/extensions': ['.ts', '.js'], 'import-x/resolver-next': [createNodeResolver()] },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: services.map((name) => ({
            target: `./services/${name}`,
            from: './services',
            except: [`./${name}`],
            message: 'A service never imports another service: use a package in packages/ (e.g. @bazaar/contracts).',
          })).concat(
            services.map((name) => ({
              target: `./services/${name}/src/domain`,
              from: [`./services/${name}/src/store`, `./services/${name}/src/upstream`],
              message: 'domain/ is pure: declare the port it needs in domain/model.ts and implement it in store/ or upstream/ (docs/conventions.md).',
            })),
            [
              {
                target: './tools',
                from: './services',
                message: 'Tools use services through their APIs (the contracts\' routes) or shared packages, never their source.',
              },
              {
                target: './packages',
                from: ['./services', './tools'],
                message: 'A shared package never depends on a service or a tool.',
              },
            ],
          ),
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: services.map((name) => `@bazaar/${name}`).concat(services.map((name) => `@bazaar/${name}/*`)),
              message: 'A service never imports another service: use a package in packages/ (e.g. @bazaar/contracts).',
            },
          ],
        },
      ],
    },
  },
  {
    // The launcher's own process asks its services through node:http (src/http-call.ts): its first fetch loads and
    // compiles undici's parser, ~17 MB of RSS and ~0.1 s of CPU (docs/performance.md). The harness and the restart
    // command run in other processes.
    files: ['tools/launcher/src/**/*.ts'],
    ignores: ['tools/launcher/src/harness.ts', 'tools/launcher/src/restart.ts'],
    rules: {
      'no-restricted-globals': ['error', { name: 'fetch', message: 'The launcher asks its services with httpCall (src/http-call.ts), not fetch: fetch costs the launcher ~17 MB of RSS.' }],
    },
  },
  {
    // The storefront's browser script runs in the browser, not in Node.
    files: ['services/storefront/public/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
);
