// Maintenance script, not part of the build: refresh deploy/schema/compose-spec.json.
//
// The Compose Specification schema (Apache-2.0, the compose-spec project) is
// not published as a JSON file on npm in a current version; the composeverter
// package (MIT) embeds a recent copy as an object literal in its bundle. This
// script takes that literal out of a composeverter bundle and writes it as JSON:
//   npm pack composeverter@1.7.5 --pack-destination /tmp
//   tar xzf /tmp/composeverter-1.7.5.tgz -C /tmp
//   node tools/deploy-gen/src/vendor-compose-schema.ts /tmp/package/dist/composeverter.js 1.7.5
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [bundlePath, version] = process.argv.slice(2);
if (!bundlePath || !version) {
  console.error('usage: vendor-compose-schema.ts <composeverter/dist/composeverter.js> <composeverter version>');
  process.exit(2);
}
const bundle = readFileSync(bundlePath, 'utf8');
const start = bundle.indexOf('{$id:"compose_spec.json"');
if (start < 0) throw new Error(`${bundlePath}: no compose_spec.json schema literal found`);
// Match braces, skipping string contents, to find where the literal ends.
let depth = 0;
let end = start;
let quote: string | undefined;
for (; end < bundle.length; end++) {
  const c = bundle[end];
  if (quote) {
    if (c === '\\') end++;
    else if (c === quote) quote = undefined;
  } else if (c === '"' || c === "'" || c === '`') quote = c;
  else if (c === '{') depth++;
  else if (c === '}' && --depth === 0) break;
}
// The literal is plain data (objects, arrays, strings, !0/!1); evaluating it yields the schema object.
const schema = new Function(`return ${bundle.slice(start, end + 1)}`)() as Record<string, unknown>;
const out = {
  $comment: `Compose Specification JSON schema (Apache-2.0, the compose-spec project), as embedded in the npm package composeverter@${version} (MIT). Regenerate with tools/deploy-gen/src/vendor-compose-schema.ts; see deploy/schema/README.md.`,
  ...schema,
};
const target = fileURLToPath(new URL('../../../deploy/schema/compose-spec.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${target}`);
