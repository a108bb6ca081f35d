/**
 * `npm run test:slowest`: ranks the tests of the last unit and end-to-end runs
 * together, from the records the timings reporter left in `.test-timings/`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { formatSlowest, type Timing } from './slowest-format.ts';

const dir = '.test-timings';
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
const records = files.flatMap((f) =>
  readFileSync(`${dir}/${f}`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Timing),
);
if (records.length === 0) console.log(`no timings recorded yet in ${dir}/ (run npm run test:unit or test:e2e first)`);
else console.log(`== slowest across ${files.map((f) => f.replace(/\.jsonl$/, '')).join(' + ')}` + formatSlowest(records, 15));
