// npm run docs:asyncapi — rewrite docs/asyncapi.json from the event contracts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncApiDocument } from './generate.ts';

const target = fileURLToPath(new URL('../../../docs/asyncapi.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(asyncApiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
