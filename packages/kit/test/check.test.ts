import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { checkerOf, firstViolation } from '../src/check.ts';

const Product = Type.Object({ id: Type.String({ format: 'uuid' }), name: Type.String({ minLength: 1 }), price: Type.Object({ amount: Type.Integer({ minimum: 0 }), currency: Type.String() }) }, { additionalProperties: false });
const good = { id: '3f1c2a4e-1111-4222-8333-944455556666', name: 'Headphones', price: { amount: 100, currency: 'EUR' } };

test('a schema is compiled once and its checker kept', () => {
  assert.equal(checkerOf(Product), checkerOf(Product));
  assert.notEqual(checkerOf(Product), checkerOf(Type.Object({})));
});

test("the compiled check agrees with TypeBox's Value.Check, and the first violation says where and what", () => {
  const bad = [
    { ...good, id: 'not-a-uuid' },
    { ...good, price: { amount: -1, currency: 'EUR' } },
    { ...good, extra: true },
    { ...good, name: '' },
    'a string',
  ];
  assert.equal(firstViolation(Product, good), undefined);
  assert.equal(Value.Check(Product, good), true);
  for (const value of bad) {
    assert.equal(Value.Check(Product, value), false);
    assert.equal(checkerOf(Product).Check(value), false, JSON.stringify(value));
  }
  assert.match(firstViolation(Product, { ...good, price: { amount: -1, currency: 'EUR' } }) ?? '', /^\/price\/amount .*>= 0/);
});
