// Goal: `recover` prints exactly the blocks of the seed (meta-recovery.txt, step 5 and "Common
// Issues"), including the hint lines that Pegasus's meta sends without a newline. Method:
// transcripts: the meta's answer, `----`, the expected lines, built from the pure report functions.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ErrorCode } from '../../proto/src/index.ts';
import { recoverHeaderLines, type RecoverOptions, recoverResultLines, recoverTimeoutLines, splitHintLines } from './recover_report.ts';

const NODES = ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803'];
const DEFAULTS: RecoverOptions = { waitSeconds: 100, skipBadNodes: false, skipLostPartitions: false };

function report(options: RecoverOptions, nodes: string[], err: ErrorCode, hint: string): string {
  return [...recoverHeaderLines(options, nodes), ...recoverResultLines(err, hint)].join('\n');
}

/** Drop the transcript's first and last newline so the expected text can be written flush left. */
const text = (s: string) => s.replace(/^\n/, '').replace(/\n$/, '');

test('seed step 5: success without hints', () => {
  assert.fixture(
    report(DEFAULTS, NODES, 'ERR_OK', ''),
    text(`
Wait seconds: 100
Skip bad nodes: false
Skip lost partitions: false
Node list:
=============================
127.0.0.1:34801
127.0.0.1:34802
127.0.0.1:34803
=============================
Recover result: ERR_OK
`),
  );
});

test('bad node, not skipped: the hint has no newline (Pegasus) but prints as its own line', () => {
  const hint = 'ERROR: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), you can skip it by set skip_bad_nodes option';
  assert.fixture(
    report(DEFAULTS, [...NODES, '127.0.0.1:34804'], 'ERR_TRY_AGAIN', hint),
    text(`
Wait seconds: 100
Skip bad nodes: false
Skip lost partitions: false
Node list:
=============================
127.0.0.1:34801
127.0.0.1:34802
127.0.0.1:34803
127.0.0.1:34804
=============================
Recover result: ERR_TRY_AGAIN
=============================
ERROR: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), you can skip it by set skip_bad_nodes option
=============================
`),
  );
});

test('bad node skipped: run-together hints are split at each WARNING', () => {
  const hint =
    'WARNING: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), skip the bad node' +
    'WARNING: partition(1.0) only collects 2/3 of replicas, may lost data\n' +
    'WARNING: partition(1.1) only collects 2/3 of replicas, may lost data\n';
  assert.fixture(
    report({ ...DEFAULTS, skipBadNodes: true }, NODES, 'ERR_OK', hint),
    text(`
Wait seconds: 100
Skip bad nodes: true
Skip lost partitions: false
Node list:
=============================
127.0.0.1:34801
127.0.0.1:34802
127.0.0.1:34803
=============================
Recover result: ERR_OK
=============================
WARNING: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), skip the bad node
WARNING: partition(1.0) only collects 2/3 of replicas, may lost data
WARNING: partition(1.1) only collects 2/3 of replicas, may lost data
=============================
`),
  );
});

test('lost partition forced empty', () => {
  const hint = 'WARNING: partition(1.0) has no replica collected, force recover the lost partition to empty\n';
  assert.fixture(
    report({ ...DEFAULTS, skipLostPartitions: true }, NODES, 'ERR_OK', hint),
    text(`
Wait seconds: 100
Skip bad nodes: false
Skip lost partitions: true
Node list:
=============================
127.0.0.1:34801
127.0.0.1:34802
127.0.0.1:34803
=============================
Recover result: ERR_OK
=============================
WARNING: partition(1.0) has no replica collected, force recover the lost partition to empty
=============================
`),
  );
});

test('splitHintLines keeps text inside a line that merely mentions ERROR', () => {
  assert.equal(splitHintLines('WARNING: app(2)\'s old name(temp) is conflict with others, rename it to (temp-2)\n\n'), [
    "WARNING: app(2)'s old name(temp) is conflict with others, rename it to (temp-2)",
  ]);
  assert.equal(splitHintLines('ERROR: a failed with err(ERR_TIMEOUT)ERROR: b\r\n'), ['ERROR: a failed with err(ERR_TIMEOUT)', 'ERROR: b']);
  assert.equal(splitHintLines(''), []);
});

test('wait ran out: Pegasus line, then that the outcome is unknown and how to check', () => {
  const lines = recoverTimeoutLines(5);
  assert.is(lines[0], 'Wait recovery failed, administrator should check the meta for progress');
  assert.match(lines.join('\n'), /unknown/);
  assert.match(lines.join('\n'), /"ls"/);
  assert.match(lines.join('\n'), /meta server's log/);
});

test.run();
