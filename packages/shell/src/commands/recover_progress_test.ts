// Goal: while start_recovery is pending, `recover` shows each node as it answers (ok / error /
// latency), in scripts too: --plan and --apply on stdout ahead of the report, the seed's plain form
// on stderr (its stdout stays the seed's block), --json not at all. Only the current attempt counts
// (an older attempt's nodes never show), every node shows exactly once in answer order, and a poll
// that fails changes nothing and delays nothing.
// Method: the command in-process (runLines, piped: not interactive) against the fake meta, whose
// start_recovery answers only when the test releases it and whose query_recovery_status answers
// what the test sets; the poll interval is 10 ms so each test takes a fraction of a second.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CollectedNode, QueryRecoveryStatusResponse, RecoveryPlan } from '../../../proto/src/index.ts';
import type { ShellContext } from '../context.ts';
import { type FakeMeta, IDLE_RECOVERY_STATUS, type RecoveryAnswer, startFakeMeta } from '../fake_meta.ts';
import { formatPlanLines } from '../format_plan.ts';
import { recoverHeaderLines } from '../recover_report.ts';
import { runLines } from '../run_shell.ts';
import { closeShellContext, createShellContext } from '../session.ts';

const [N1, N2, N3, N4] = ['127.0.0.1:34801', '127.0.0.1:34802', '127.0.0.1:34803', '127.0.0.1:34804'];
const NODES = `${N1},${N2},${N3},${N4}`;
const HEADER = recoverHeaderLines({ waitSeconds: 100, skipBadNodes: false, skipLostPartitions: false }, [N1, N2, N3, N4]);

const ok = (node: string, latency_ms: number): CollectedNode => ({ node, err: 'ERR_OK', latency_ms });
/** The reply lists every node in node-list order; N2 answers first, then N1, N4 (down), N3. */
const REPLY_COLLECTED: CollectedNode[] = [ok(N1, 9), ok(N2, 5), ok(N3, 30), { node: N4, err: 'ERR_NETWORK_FAILURE', latency_ms: 20 }];
const NODE_LINES_IN_ANSWER_ORDER = [
  `node ${N2}: ok in 5 ms`,
  `node ${N1}: ok in 9 ms`,
  `node ${N4}: ERR_NETWORK_FAILURE in 20 ms`,
  `node ${N3}: ok in 30 ms`,
];

const PLAN: RecoveryPlan = {
  plan_id: '0123456789abcdef',
  created_at_second: 1_700_000_000,
  options: { skip_bad_nodes: false, skip_lost_partitions: false },
  node_list: [N1, N2, N3, N4],
  outcome: 'ok',
  next_step: 'nothing; read the WARNING lines, if any',
  err: 'ERR_OK',
  hint_lines: [],
  tables: [{
    app_id: 1, app_name: 'temp', was_dropped: false, drop_second: 0, expire_second: 0, partition_count: 1, max_replica_count: 1,
    partitions: [{ pidx: 0, gpid: '1.0', candidates: [{ node: N1, ballot: 3, last_committed_decree: 9, last_prepared_decree: 9 }], tier: 'intact', may_lose_decrees: 0, missing_replicas: 0, primary: N1 }],
  }],
  placeholders: [],
  totals: { partitions: 1, tiers: { intact: 1, degraded: 0, 'at-risk': 0, lost: 0 }, may_lose_decrees: 0 },
  completeness: { unlisted_heartbeating_nodes: [], unanswered_nodes: [], under_replicated: [] },
  not_rebuilt: [],
  fingerprints: [],
};

/** A start_recovery answer held back until `release()`. */
function heldAnswer(answer: Omit<RecoveryAnswer, 'release'>): { answer: RecoveryAnswer; release: () => void } {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { answer: { ...answer, release: gate }, release };
}

type Shell = { ctx: ShellContext; out: string[]; err: string[] };

async function withShell(meta: FakeMeta, body: (shell: Shell) => Promise<void>): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const ctx = createShellContext([meta.address], { out: (l) => out.push(l), err: (l) => err.push(l) }, false);
  ctx.recoverPollMs = 10;
  try {
    await body({ ctx, out, err });
  } finally {
    closeShellContext(ctx);
    await meta.stop();
  }
}

/** Wait (a few ms at a time, 500 ms at most) until `done` holds. */
async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 500;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const nodeLines = (lines: string[]) => lines.filter((l) => /^node \S+: \S+ in \d+ ms$/.test(l));

test('recover --plan in a script: each node on stdout as it answers, once, in answer order, then the plan', async () => {
  const held = heldAnswer({ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN });
  let status: QueryRecoveryStatusResponse = IDLE_RECOVERY_STATUS;
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus: async () => status });
  await withShell(meta, async ({ ctx, out }) => {
    const command = runLines(ctx, [`recover -s ${NODES} --plan`]);
    await until('start_recovery sent', () => meta.state.recoveryRequests.length === 1);
    assert.equal(out, HEADER, 'only the header while nobody answered');
    const running = { ...IDLE_RECOVERY_STATUS, running: true, stage: 'collecting' as const, mode: 'plan' as const, started_at_ms: 5000 };
    status = { ...running, collected: [ok(N2, 5)] };
    await until('N2 printed', () => out.length > HEADER.length);
    assert.equal(out.slice(HEADER.length), [NODE_LINES_IN_ANSWER_ORDER[0]], 'N2 shown before the reply was released');
    status = { ...running, collected: [ok(N2, 5), ok(N1, 9)] };
    await until('N1 printed', () => out.length > HEADER.length + 1);
    // Several more polls see the same list: nothing printed twice.
    const polled = await countPolls(meta, 3);
    assert.ok(polled >= 3);
    assert.equal(out.slice(HEADER.length), NODE_LINES_IN_ANSWER_ORDER.slice(0, 2));
    held.release();
    assert.is(await command, 0);
    // N4 and N3 answered after the last poll: the reply gives them, fastest first.
    assert.equal(out, [...HEADER, ...NODE_LINES_IN_ANSWER_ORDER, ...formatPlanLines(PLAN)]);
  });
});

/** Wait until the fake has answered `n` more status queries; returns how many it answered. */
async function countPolls(meta: FakeMeta, n: number): Promise<number> {
  const inner = meta.state.recoveryStatus;
  let count = 0;
  meta.state.recoveryStatus = () => (count++, inner());
  await until(`${n} polls`, () => count >= n);
  meta.state.recoveryStatus = inner;
  return count;
}

test('recover --apply: node lines lead the report; with no poll in time the reply gives them all', async () => {
  // The status never shows this attempt (the meta answered before the first poll): the lines come from the reply.
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [{ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN }] });
  const dir = await mkdtemp(join(tmpdir(), 'recover-progress-'));
  try {
    await writeFile(join(dir, 'plan.json'), JSON.stringify(PLAN));
    await withShell(meta, async ({ ctx, out }) => {
      assert.is(await runLines(ctx, [`recover --apply ${join(dir, 'plan.json')}`]), 0);
      assert.equal(out, [...HEADER, `Apply plan: ${PLAN.plan_id}`, ...NODE_LINES_IN_ANSWER_ORDER, 'Recover result: ERR_OK']);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('recover --apply of an edited plan file (a skip flag not a boolean, or no err): refused before the meta is asked', async () => {
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [{ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN }] });
  const dir = await mkdtemp(join(tmpdir(), 'recover-progress-'));
  try {
    const rows: [object, string][] = [
      [{ ...PLAN, options: { skip_lost_partitions: false } }, 'options.skip_bad_nodes is missing, not true or false'],
      [{ ...PLAN, options: { skip_bad_nodes: false, skip_lost_partitions: 'yes' } }, 'options.skip_lost_partitions is "yes", not true or false'],
      [{ ...PLAN, err: undefined }, 'it has no err'],
    ];
    await withShell(meta, async ({ ctx, out, err }) => {
      for (const [plan, why] of rows) {
        await writeFile(join(dir, 'plan.json'), JSON.stringify(plan));
        assert.is.not(await runLines(ctx, [`recover --apply ${join(dir, 'plan.json')}`]), 0);
        assert.match(err.join('\n'), why);
      }
      assert.equal(out, [], 'no header: nothing was sent');
      assert.is(meta.state.recoveryAnswers.length, 1, 'start_recovery was never called');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an older attempt's nodes are never printed as this one's", async () => {
  // Rows: the status before start_recovery, the status while ours runs, what ours answers, the
  // node lines expected before the answer and after it: only ours, each once.
  const older = { ...IDLE_RECOVERY_STATUS, stage: 'failed' as const, mode: 'recover' as const, started_at_ms: 1000, finished_at_ms: 1500, last_err: 'ERR_TRY_AGAIN' as const, collected: [ok(N3, 1), ok(N4, 2)] };
  const rows: [what: string, before: QueryRecoveryStatusResponse, during: QueryRecoveryStatusResponse, answer: RecoveryAnswer, live: string[], expected: string[]][] = [
    [
      'an older attempt that ended',
      older,
      { ...older, running: true, stage: 'collecting', started_at_ms: 2000, finished_at_ms: 0, collected: [ok(N2, 5)] },
      { err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN },
      [NODE_LINES_IN_ANSWER_ORDER[0]],
      NODE_LINES_IN_ANSWER_ORDER,
    ],
    [
      // A meta whose clock stood still gives ours the same start time: running tells them apart.
      'an older attempt with the same start time',
      older,
      { ...older, running: true, stage: 'collecting', finished_at_ms: 0, collected: [ok(N2, 5)] },
      { err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN },
      [NODE_LINES_IN_ANSWER_ORDER[0]],
      NODE_LINES_IN_ANSWER_ORDER,
    ],
    [
      // Another shell's attempt still runs: ours is refused, and the running one is not ours.
      'an older attempt still running',
      { ...older, running: true, stage: 'collecting', finished_at_ms: 0 },
      { ...older, running: true, stage: 'collecting', finished_at_ms: 0, collected: [ok(N3, 1), ok(N4, 2), ok(N1, 3)] },
      { err: 'ERR_BUSY', hint_message: 'a recovery (recover) is already running, at stage collecting; see recover_status' },
      [],
      [],
    ],
  ];
  for (const [what, before, during, answer, live, expected] of rows) {
    const held = heldAnswer(answer);
    let status = before;
    const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus: async () => status });
    await withShell(meta, async ({ ctx, out }) => {
      const command = runLines(ctx, [`recover -s ${NODES} --plan`]);
      await until(`${what}: start_recovery sent`, () => meta.state.recoveryRequests.length === 1);
      await countPolls(meta, 3); // the older attempt's status, polled: nothing printed
      assert.equal(nodeLines(out), [], `${what}: before ours shows`);
      status = during;
      await countPolls(meta, 3);
      assert.equal(nodeLines(out), live, `${what}: while ours runs`);
      held.release();
      await command;
      assert.equal(nodeLines(out), expected, what);
    });
  }
});

test("another shell's attempt, started after ours asked for the status, is not ours: its token differs", async () => {
  const held = heldAnswer({ err: 'ERR_BUSY', hint_message: 'a recovery (plan) is already running, at stage collecting; see recover_status' });
  let status: QueryRecoveryStatusResponse = IDLE_RECOVERY_STATUS;
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus: async () => status });
  await withShell(meta, async ({ ctx, out }) => {
    const command = runLines(ctx, [`recover -s ${NODES} --plan`]);
    await until('start_recovery sent', () => meta.state.recoveryRequests.length === 1);
    const ours = meta.state.recoveryRequests[0].attempt_token;
    assert.type(ours, 'string');
    status = { ...IDLE_RECOVERY_STATUS, running: true, stage: 'collecting', mode: 'plan', started_at_ms: 4000, attempt_token: 'theirs', collected: [ok(N3, 1)] };
    await countPolls(meta, 3);
    assert.equal(nodeLines(out), [], "the other shell's nodes");
    status = { ...status, attempt_token: ours!, collected: [ok(N2, 5)] };
    await until('a status with our token is shown', () => nodeLines(out).length === 1);
    assert.equal(nodeLines(out), [NODE_LINES_IN_ANSWER_ORDER[0]]);
    held.release();
    assert.is(await command, 2, 'refused');
  });
});

test('plain recover: stdout is the seed block byte for byte, the node lines go to stderr', async () => {
  const hint = 'WARNING: collect app and replica info from node(127.0.0.1:34804) failed with err(ERR_NETWORK_FAILURE), skip the bad node';
  const held = heldAnswer({ err: 'ERR_OK', hint_message: hint, collected: REPLY_COLLECTED });
  let status: QueryRecoveryStatusResponse = IDLE_RECOVERY_STATUS;
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus: async () => status });
  await withShell(meta, async ({ ctx, out, err }) => {
    const command = runLines(ctx, [`recover -s ${NODES} -b`]);
    await until('start_recovery sent', () => meta.state.recoveryRequests.length === 1);
    status = { ...IDLE_RECOVERY_STATUS, running: true, stage: 'collecting', mode: 'recover', started_at_ms: 7000, collected: [ok(N2, 5)] };
    await until('N2 printed', () => err.length === 1);
    assert.equal(err, [NODE_LINES_IN_ANSWER_ORDER[0]], 'on stderr before the reply');
    held.release();
    assert.is(await command, 3, 'partial: a bad node was skipped');
    const separator = '='.repeat(29);
    assert.equal(out, [
      'Wait seconds: 100',
      'Skip bad nodes: true',
      'Skip lost partitions: false',
      'Node list:',
      separator,
      N1, N2, N3, N4,
      separator,
      'Recover result: ERR_OK',
      separator,
      hint,
      separator,
    ]);
    assert.equal(err, NODE_LINES_IN_ANSWER_ORDER);
  });
});

test('--json: one JSON document, no node lines, no status polls', async () => {
  const held = heldAnswer({ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN });
  let polls = 0;
  const running = { ...IDLE_RECOVERY_STATUS, running: true, stage: 'collecting' as const, started_at_ms: 3000, collected: [ok(N2, 5)] };
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus: async () => (polls++, running) });
  await withShell(meta, async ({ ctx, out, err }) => {
    const command = runLines(ctx, [`recover -s ${NODES} --plan --json`]);
    await until('start_recovery sent', () => meta.state.recoveryRequests.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // five poll intervals
    held.release();
    assert.is(await command, 0);
    assert.is(polls, 0);
    assert.is(out.length, 1, out.join('\n'));
    const doc = JSON.parse(out[0]);
    assert.is(doc.command, 'recover --plan');
    assert.equal(doc.collected, REPLY_COLLECTED);
    assert.equal(err, []);
  });
});

test('a failing status poll changes nothing and delays nothing', async () => {
  // The baseline answers; then the meta redirects (ERR_FORWARD_TO_OTHERS, no leader named), then
  // one poll hangs past the reply. The report is what the reply alone gives, at once.
  const held = heldAnswer({ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, plan: PLAN });
  let phase: 'baseline' | 'forward' | 'hang' = 'baseline';
  let calls = 0;
  let hanging = false;
  let unhang = () => {};
  const hang = new Promise<void>((resolve) => (unhang = resolve));
  const recoveryStatus = async (): Promise<QueryRecoveryStatusResponse> => {
    calls++;
    if (phase === 'baseline') return IDLE_RECOVERY_STATUS;
    if (phase === 'forward') return { ...IDLE_RECOVERY_STATUS, err: 'ERR_FORWARD_TO_OTHERS' };
    hanging = true;
    await hang;
    // Arrives after the reply (before the poll's deadline), naming a node the reply does not have.
    return { ...IDLE_RECOVERY_STATUS, running: true, started_at_ms: 9000, collected: [ok('127.0.0.1:34809', 1)] };
  };
  const meta = await startFakeMeta({ mode: 'recovery', recoveryAnswers: [held.answer], recoveryStatus });
  await withShell(meta, async ({ ctx, out, err }) => {
    try {
      const command = runLines(ctx, [`recover -s ${NODES} --plan`]);
      await until('start_recovery sent', () => meta.state.recoveryRequests.length === 1);
      phase = 'forward';
      const seen = calls;
      await until('a redirected poll', () => calls > seen);
      phase = 'hang';
      await until('a poll in flight', () => hanging);
      const released = Date.now();
      held.release();
      assert.is(await command, 0);
      assert.ok(Date.now() - released < 200, `the report waited ${Date.now() - released} ms for a poll`);
      const report = [...HEADER, ...NODE_LINES_IN_ANSWER_ORDER, ...formatPlanLines(PLAN)];
      assert.equal(out, report);
      // The poll in flight answers now: the command is done, so it prints nothing.
      unhang();
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(out, report);
      assert.equal(err, []);
    } finally {
      unhang();
    }
  });
});

test('a meta without query_recovery_status (or unreachable for it): no polls, the reply gives the lines', async () => {
  const meta = await startFakeMeta({
    mode: 'recovery',
    recoveryAnswers: [{ err: 'ERR_OK', hint_message: '', collected: REPLY_COLLECTED, delayMs: 50 }],
    recoveryStatus: async () => ({ ...IDLE_RECOVERY_STATUS, err: 'ERR_HANDLER_NOT_FOUND' }),
  });
  await withShell(meta, async ({ ctx, out, err }) => {
    assert.is(await runLines(ctx, [`recover -s ${NODES}`]), 0);
    assert.equal(out, [...HEADER, 'Recover result: ERR_OK']);
    assert.equal(err, NODE_LINES_IN_ANSWER_ORDER);
  });
});

test.run();
