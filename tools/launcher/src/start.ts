/**
 * `npm start`'s entry. Turns on Node's module compile cache for the launcher's own modules (type-stripped and
 * compiled once, then kept under node_modules/.cache/bazaar-compile, where the services' compiled bundles are kept
 * too), then runs the launcher (main.ts). Its modules load in about half the CPU, and that time is spent before the
 * first service is spawned (docs/performance.md). NODE_COMPILE_CACHE, when set, names another directory;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

enableCompileCache(fileURLToPath(new URL('../../../node_modules/.cache/bazaar-compile', import.meta.url)));
await import('./main.ts');
