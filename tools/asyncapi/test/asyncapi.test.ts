import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EventTypes } from '@bazaar/contracts/events';
import { asyncApiDocument } from '../src/generate.ts';

test('docs/asyncapi.json is up to date with the event contracts (run npm run docs:asyncapi)', () => {
  const committed = JSON.parse(readFileSync(new URL('../../../docs/asyncapi.json', import.meta.url), 'utf8'));
  assert.deepEqual(committed, JSON.parse(JSON.stringify(asyncApiDocument())));
});

test('every event type has a channel, a message with its data schema, a producer and its consumers', () => {
  const doc = asyncApiDocument() as { channels: Record<string, { address: string }>; components: { messages: Record<string, { name: string; payload: { properties: { data: unknown } } }> } };
  const addresses = Object.values(doc.channels).map((c) => c.address).sort();
  assert.deepEqual(addresses, Object.keys(EventTypes).sort());
  for (const message of Object.values(doc.components.messages)) {
    assert.ok(message.payload.properties.data);
  }
});
