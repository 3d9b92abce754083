// Goal: once writes pause, every secondary learns the last commit point, even one that was busy
// with an older commit when the idle commit went out (it was skipped and stayed a decree behind:
// "verify: members at different decrees", stop 14). Method: the primary's idle-commit step on a
// stand-in replica whose peers answer when the test says; no servers, no LevelDB.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Replica } from './replica.ts';
import { newTarget, scheduleIdleCommit } from './replica_2pc.ts';

type Held = { node: string; committed: number; answer: () => void };

function standIn() {
  const calls: Held[] = [];
  const holdFor = new Set<string>();
  const r = {
    pid: { app_id: 1, partition_index: 0 },
    ballot: 3,
    status: 'PS_PRIMARY',
    closed: false,
    lastCommittedDecree: 1,
    lastPreparedDecree: 2,
    idleCommitTimer: undefined as ReturnType<typeof setTimeout> | undefined,
    targets: new Map([['A:1', newTarget('A:1', false, 2)], ['B:1', newTarget('B:1', false, 2)]]),
    ctx: {
      idleCommitDelayMs: 1,
      rpcTimeoutMs: 1000,
      peer: (node: string) => ({
        call: (_name: string, req: { last_committed_decree: number }) =>
          new Promise((resolve) => {
            const held: Held = { node, committed: req.last_committed_decree, answer: () => resolve({ ok: true, res: { err: 'ERR_OK' } }) };
            calls.push(held);
            if (!holdFor.has(node)) held.answer();
          }),
      }),
    },
  };
  return { r, calls, holdFor };
}

const until = async (what: string, done: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test('a secondary busy with an older commit when the idle commit goes out still gets the last commit point', async () => {
  const { r, calls, holdFor } = standIn();
  holdFor.add('A:1'); // A answers its first commit only when released
  scheduleIdleCommit(r as unknown as Replica);
  await until('commit 1 to both', () => calls.filter((c) => c.committed === 1).length === 2);
  // The commit point moves on (B's ack of a later write, say) while A's commit 1 is still out.
  r.lastCommittedDecree = 2;
  scheduleIdleCommit(r as unknown as Replica);
  await until('commit 2 to B', () => calls.some((c) => c.node === 'B:1' && c.committed === 2));
  holdFor.delete('A:1');
  calls.find((c) => c.node === 'A:1' && c.committed === 1)!.answer();
  await until('commit 2 to A', () => calls.some((c) => c.node === 'A:1' && c.committed === 2));
  if (r.idleCommitTimer) clearTimeout(r.idleCommitTimer);
  assert.equal(calls.map((c) => `${c.node}@${c.committed}`).sort(), ['A:1@1', 'A:1@2', 'B:1@1', 'B:1@2']);
});

test.run();
