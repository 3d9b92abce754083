// Goal: tables print in Pegasus's layout (output_utils.cpp): column width = widest cell + 2,
// key/value lines `key<pad>: value` with the pad set by the longest key, an empty line after each
// table of a multi-table output, and no trailing blanks. Method: render small tables and compare
// whole lines, including the exact spacing.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cellText, renderColumns, renderKeyValues, renderTables } from './table_printer.ts';

test('key/value: key padded to the longest key + 2, then ": value"', () => {
  const lines = renderKeyValues({
    kind: 'key_value',
    name: 'cluster_info',
    rows: [
      ['meta_servers', '127.0.0.1:34601'],
      ['zookeeper_root', '/pegasus/onebox/127.0.0.1'],
      ['primary_replica_count_stddev', '0.00'],
    ],
  });
  assert.equal(lines, [
    '[cluster_info]',
    'meta_servers                  : 127.0.0.1:34601',
    'zookeeper_root                : /pegasus/onebox/127.0.0.1',
    'primary_replica_count_stddev  : 0.00',
  ]);
  // The width the seed's line implies: 28-character longest key + 2.
  assert.is(lines[2].indexOf(':'), 30);
});

test('columns: widest cell + 2, left or right aligned, trailing blanks cut', () => {
  const lines = renderColumns({
    kind: 'columns',
    name: 'details',
    columns: [{ title: 'address' }, { title: 'status' }, { title: 'replica_count', align: 'right' }],
    rows: [
      ['127.0.0.1:34801', 'ALIVE', 8],
      ['127.0.0.1:34802', 'UNALIVE', 12],
    ],
  });
  assert.equal(lines, [
    '[details]',
    'address          status     replica_count',
    '127.0.0.1:34801  ALIVE                  8',
    '127.0.0.1:34802  UNALIVE               12',
  ]);
});

test('multi-table output: an empty line after every table; no name, no header line', () => {
  const lines = renderTables([
    { kind: 'columns', columns: [{ title: 'a' }], rows: [['x']] },
    { kind: 'key_value', name: 'summary', rows: [['total_app_count', 1]] },
  ]);
  assert.equal(lines, ['a', 'x', '', '[summary]', 'total_app_count  : 1', '']);
});

test('cell values: bools as words, doubles with two decimals, integers as they are', () => {
  assert.equal([true, false, 3, 0.5, 1e-9, 2.345, 'txt'].map(cellText), ['true', 'false', '3', '0.50', '0.00', '2.35', 'txt']);
});

test.run();
