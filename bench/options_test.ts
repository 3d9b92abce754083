// Goal: the bench accepts the seed's spelling (`-t fillseq_pegasus -n 10000`) and today's
// (`--type ... --num ...`), keeps Pegasus's defaults, and refuses anything else with
// `ERROR: unknown option "<x>"` plus the usage. Method: one row per command line.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BENCH_USAGE, DEFAULT_BENCH_OPTIONS, parseBenchArgs } from './options.ts';

const args = (line: string) => (line === '' ? [] : line.split(' '));

test('accepted command lines', () => {
  const rows: [line: string, expected: Partial<typeof DEFAULT_BENCH_OPTIONS>][] = [
    ['',                                                   {}],
    ['--app_name temp -t fillseq_pegasus -n 10000',        { types: ['fillseq_pegasus'], num: 10000 }],
    ['--app_name temp -t readrandom_pegasus -n 10000',     { types: ['readrandom_pegasus'], num: 10000 }],
    ['--type fillrandom_pegasus,readrandom_pegasus --num 5', { types: ['fillrandom_pegasus', 'readrandom_pegasus'], num: 5 }],
    ['--thread_num=4 --value_size 10 --seed 0',            { threadNum: 4, valueSize: 10, seed: 1000 }],
    ['--cluster 127.0.0.1:45001 --timeout 2500 --seed 7',  { cluster: '127.0.0.1:45001', timeoutMs: 2500, seed: 7 }],
    ['--hashkey_size 8 --sortkey_size 4 -n 9999',          { hashkeySize: 8, sortkeySize: 4, num: 9999 }],
    ['--app_name other -t deleterandom_pegasus',           { appName: 'other', types: ['deleterandom_pegasus'] }],
  ];
  for (const [line, expected] of rows) {
    assert.equal(parseBenchArgs(args(line)), { ok: true, options: { ...DEFAULT_BENCH_OPTIONS, ...expected } }, line);
  }
});

test('refused command lines', () => {
  const rows: [line: string, message: string][] = [
    ['--bogus 1',                       `ERROR: unknown option "--bogus"\n${BENCH_USAGE}`],
    ['-x',                              `ERROR: unknown option "-x"\n${BENCH_USAGE}`],
    ['-n',                              `ERROR: option "-n" needs a value\n${BENCH_USAGE}`],
    ['-t fillseq',                      'ERROR: unknown benchmark type "fillseq" (known: fillseq_pegasus, fillrandom_pegasus, readrandom_pegasus, deleterandom_pegasus)'],
    ['-n 0',                            'ERROR: invalid value "0" for -n: expected an integer >= 1'],
    ['--num 1e3',                       'ERROR: invalid value "1e3" for --num: expected an integer >= 1'],
    ['--thread_num -1',                 'ERROR: invalid value "-1" for --thread_num: expected an integer >= 1'],
    ['--app_name a/b',                  'ERROR: invalid app name "a/b": only 0-9a-zA-Z.:_- are valid'],
    ['-n 100000 --hashkey_size 4',      'ERROR: --hashkey_size 4 is too small for 100000 keys (needs 5)'],
    ['-n 50 --thread_num 3 --sortkey_size 2', 'ERROR: --sortkey_size 2 is too small for 150 keys (needs 3)'],
  ];
  for (const [line, message] of rows) assert.equal(parseBenchArgs(args(line)), { ok: false, message }, line);
  assert.equal(parseBenchArgs(['--help']), { ok: false, message: BENCH_USAGE, help: true });
});

test.run();
