// Goal: `recover` checks its options in Pegasus's order with Pegasus's messages (pegasus-spec §5.1)
// and says when the usage line follows. Method: one row per command line.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRecoverArgs } from './recover.ts';

test('accepted option sets', () => {
  type Row = [line: string, wait: number, bad: boolean, lost: boolean, source: object, output: string | undefined, mode?: string, json?: boolean];
  const rows: Row[] = [
    ['-f recover_node_list',                          100, false, false, { file: 'recover_node_list' }, undefined],
    ['--node_list_file=n --skip_bad_nodes',           100, true,  false, { file: 'n' },                 undefined],
    ['-s 127.0.0.1:34801 -w 5 -bl -o out.txt',        5,   true,  true,  { str: '127.0.0.1:34801' },   'out.txt'],
    ['-f n --skip_lost_partitions --wait_seconds 30', 30,  false, true,  { file: 'n' },                 undefined],
    ['-f n --plan -o plan.json --json',               100, false, false, { file: 'n' },                 'plan.json', 'plan', true],
    ['--apply plan.json -w 20',                       20,  false, false, { plan: 'plan.json' },         undefined,   'apply'],
  ];
  for (const [line, waitSeconds, skipBadNodes, skipLostPartitions, source, output, mode = 'recover', json = false] of rows) {
    assert.equal(parseRecoverArgs(line.split(' ')), { ok: true, value: { waitSeconds, skipBadNodes, skipLostPartitions, output, json, mode, source } }, line);
  }
});

test('refused option sets, in Pegasus order', () => {
  const rows: [line: string, message: string, usage: boolean][] = [
    ['',                      'should specify one of node_list_file/node_list_str',        true],
    ['-b',                    'should specify one of node_list_file/node_list_str',        true],
    ['-f a -s b',             'should only specify one of node_list_file/node_list_str',   true],
    ['-f a -w abc',           'parse abc as wait_seconds failed',                           true],
    ['-f a -w 0',             'invalid wait_seconds 0, should be positive number',         true],
    ['-s b -w -3',            'invalid wait_seconds -3, should be positive number',        true],
    ['-w 0',                  'invalid wait_seconds 0, should be positive number',         true],
    ['-f a -n 3',             "invalid option -- 'n'",                                      true],
    ['-f',                    "option requires an argument -- 'f'",                         true],
    ['--plan --apply p.json', 'should only specify one of --plan/--apply',                  true],
    ['--apply p.json -f n -b', '--apply takes the node list and options from the plan file; remove --node_list_file, --skip_bad_nodes', true],
  ];
  for (const [line, message, usage] of rows) {
    const args = line === '' ? [] : line.split(' ');
    assert.equal(parseRecoverArgs(args), { ok: false, message, usage }, line);
  }
});

test.run();
