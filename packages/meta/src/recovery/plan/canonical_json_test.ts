// Goal: show that canonicalJson gives one text per value, whatever the key order, and agrees with
// JSON.parse. Method: a table of values and their expected text, then the refusals.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson } from './canonical_json.ts';

// Rule: keys sorted at every depth, arrays in their order, undefined keys left out.
const ROWS: [name: string, value: unknown, text: string][] = [
  ['scalars in an array',          [1, 'a', true, null],                 '[1,"a",true,null]'],
  ['keys sorted',                  { b: 1, a: 2 },                       '{"a":2,"b":1}'],
  ['nested keys sorted',           { z: { y: 1, x: [{ d: 1, c: 2 }] } }, '{"z":{"x":[{"c":2,"d":1}],"y":1}}'],
  ['integer-like keys as text',    { 10: 'a', 9: 'b', a: 'c' },          '{"10":"a","9":"b","a":"c"}'],
  ['undefined key left out',       { a: undefined, b: 1 },               '{"b":1}'],
  ['undefined in array is null',   [undefined],                          '[null]'],
  ['NaN is null',                  [Number.NaN],                         '[null]'],
  ['empty object and array',       { a: {}, b: [] },                     '{"a":{},"b":[]}'],
];

for (const [name, value, text] of ROWS) {
  test(name, () => {
    assert.is(canonicalJson(value), text);
    assert.equal(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
  });
}

test('same value, keys written in another order: same text', () => {
  assert.is(canonicalJson({ a: 1, b: { c: 2, d: 3 } }), canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
});

test('refuses what JSON cannot carry', () => {
  assert.throws(() => canonicalJson(new Map()), /Map/);
  assert.throws(() => canonicalJson({ f: () => 1 }), /function/);
  assert.throws(() => canonicalJson(1n), /bigint/);
});

test.run();
