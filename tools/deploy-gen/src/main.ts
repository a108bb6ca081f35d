import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate, staleFiles } from './generate.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const { files, warnings } = await generate(root);
for (const w of warnings) console.warn(`warning: ${w}`);
const stale = staleFiles(root, files);
if (values.check) {
  if (stale.length > 0) {
    console.error(`Deploy files are out of date; run \`npm run deploy:gen\`:\n${stale.map((p) => `  ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`deploy files are up to date (${files.size} generated files)`);
} else {
  for (const path of stale) {
    const full = join(root, path);
    const content = files.get(path);
    if (content === undefined) {
      rmSync(full);
      console.log(`removed ${path}`);
    } else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      console.log(`wrote ${path}`);
    }
  }
  if (stale.length === 0) console.log('nothing to do: deploy files are up to date');
}
