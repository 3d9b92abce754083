// Goal: the shell reads a command line the way Pegasus's shell does: sdssplitargs quoting, and
// getopt_long options in every spelling an operator may type. Method: one row per input, with
// the expected words or options; errors are compared by their exact message.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getopt, type OptionSpec, parseInt32, tokenize } from './args.ts';

test('tokenize: blanks, quotes and escapes', () => {
  const rows: [line: string, words: string[]][] = [
    ['ls -d',                          ['ls', '-d']],
    ['  set  h   s  v  ',              ['set', 'h', 's', 'v']],
    ['set "hash key" s "a\\tb"',       ['set', 'hash key', 's', 'a\tb']],
    ["set 'it''s' s v",                ['set', 'its', 's', 'v']],
    ["set 'a\\'b' s v",                ['set', "a'b", 's', 'v']],
    ['set "\\x41\\x42" s ""',          ['set', 'AB', 's', '']],
    ['get h"x y"z s',                  ['get', 'hx yz', 's']],
  ];
  for (const [line, words] of rows) {
    const r = tokenize(line);
    assert.ok(r.ok, line);
    if (r.ok) assert.equal(r.words, words, line);
  }
  assert.equal(tokenize('set "open s v'), { ok: false, message: 'unbalanced quotes in: set "open s v' });
});

test('tokenize: \\xHH is one raw byte, other text is UTF-8', () => {
  const r = tokenize('set "\\xff\\x00" é 😀');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal([...r.bytes[1]], [0xff, 0x00]);
  assert.equal([...r.bytes[2]], [0xc3, 0xa9]);
  assert.equal([...r.bytes[3]], [0xf0, 0x9f, 0x98, 0x80]);
});

const SPECS: OptionSpec[] = [
  { short: 'f', long: 'node_list_file', takesValue: true },
  { short: 'w', long: 'wait_seconds', takesValue: true },
  { short: 'b', long: 'skip_bad_nodes', takesValue: false },
  { short: 'l', long: 'skip_lost_partitions', takesValue: false },
];

test('getopt: short, grouped, attached, long and --name=value forms', () => {
  const rows: [args: string[], options: Record<string, string | true>, positionals: string[]][] = [
    [['-f', 'nodes', '-w', '5'],                  { node_list_file: 'nodes', wait_seconds: '5' }, []],
    [['-fnodes', '-bl'],                          { node_list_file: 'nodes', skip_bad_nodes: true, skip_lost_partitions: true }, []],
    [['--node_list_file', 'a', '--skip_bad_nodes'], { node_list_file: 'a', skip_bad_nodes: true }, []],
    [['--wait_seconds=7', 'temp', '-b'],          { wait_seconds: '7', skip_bad_nodes: true }, ['temp']],
    [['-blf', 'x'],                               { skip_bad_nodes: true, skip_lost_partitions: true, node_list_file: 'x' }, []],
    [['-w', '1', '-w', '2'],                      { wait_seconds: '2' }, []],
    [['--', '-b'],                                {}, ['-b']],
  ];
  for (const [args, options, positionals] of rows) {
    const r = getopt(args, SPECS);
    assert.ok(r.ok, args.join(' '));
    if (r.ok) {
      assert.equal(Object.fromEntries(r.options), options, args.join(' '));
      assert.equal(r.positionals, positionals, args.join(' '));
    }
  }
});

test('getopt: errors name the option', () => {
  const rows: [args: string[], message: string][] = [
    [['-x'],                          "invalid option -- 'x'"],
    [['--nope'],                      "unrecognized option '--nope'"],
    [['-f'],                          "option requires an argument -- 'f'"],
    [['--node_list_file'],            "option '--node_list_file' requires an argument"],
    [['--skip_bad_nodes=yes'],        "option '--skip_bad_nodes' doesn't allow an argument"],
  ];
  for (const [args, message] of rows) assert.equal(getopt(args, SPECS), { ok: false, message }, args.join(' '));
});

test('parseInt32 like dsn::buf2int32', () => {
  assert.equal(['100', '-5', '+3', ' 7 ', '2147483647'].map(parseInt32), [100, -5, 3, 7, 2147483647]);
  assert.equal(['', 'abc', '1.5', '10s', '2147483648'].map(parseInt32), [undefined, undefined, undefined, undefined, undefined]);
});

test.run();
