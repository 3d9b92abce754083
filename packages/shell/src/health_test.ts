// Goal: `ls -d` and `app -d` classify partitions with Pegasus's rules (see health.ts's table).
// Method: one row per partition shape, then app totals and per-node counts over a small layout.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { partition } from '../../client/src/test_support.ts';
import { appHealth, compareNodes, countReplicasPerNode, partitionHealth } from './health.ts';

const A = '127.0.0.1:34801';
const B = '127.0.0.1:34802';
const C = '127.0.0.1:34803';

test('partition health, one row per shape (max_replica_count 3)', () => {
  const rows: [members: string[], replicas: number, fully: boolean, writeBad: boolean, readBad: boolean][] = [
    [[A, B, C],     3, true,  false, false],
    [[A, B],        2, false, false, false],
    [[A],           1, false, true,  false],
    [['', B, C],    2, false, true,  true],
    [[''],          0, false, true,  true],
  ];
  for (const [members, replicaCount, fullyHealthy, writeUnhealthy, readUnhealthy] of rows) {
    assert.equal(partitionHealth(partition(2, 0, members)), { replicaCount, fullyHealthy, writeUnhealthy, readUnhealthy }, members.join(','));
  }
  assert.ok(partitionHealth(partition(2, 0, [A], 1, 1)).fullyHealthy, 'max_replica_count 1: the primary alone is full');
});

test('app totals use partition_count as the denominator', () => {
  const parts = [partition(2, 0, [A, B, C]), partition(2, 1, [A, B]), partition(2, 2, [A]), partition(2, 3, ['', B])];
  assert.equal(appHealth(parts, 4), { fullyHealthy: 1, unhealthy: 3, writeUnhealthy: 2, readUnhealthy: 1 });
  assert.equal(appHealth(parts.slice(0, 1), 4), { fullyHealthy: 1, unhealthy: 3, writeUnhealthy: 0, readUnhealthy: 0 });
});

test('replicas per node; nodes ordered by host then numeric port', () => {
  const counts = countReplicasPerNode([partition(2, 0, [A, B, C]), partition(2, 1, [B, A]), partition(2, 2, ['', C])]);
  assert.equal(Object.fromEntries(counts), { [A]: { primary: 1, secondary: 1 }, [B]: { primary: 1, secondary: 1 }, [C]: { primary: 0, secondary: 2 } });
  assert.equal(['127.0.0.1:9', '127.0.0.1:10', '10.0.0.1:1'].sort(compareNodes), ['10.0.0.1:1', '127.0.0.1:9', '127.0.0.1:10']);
});

test.run();
