// Goal: new partitions spread evenly (primaries and replicas) and deterministically.
// Method: place tables over sets of nodes and count per node.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeNodeLoads, placeNewPartitions } from './place_replicas.ts';

test('8 partitions x 3 replicas over 3 nodes: every node holds 8, primaries 3/3/2', () => {
  const placed = placeNewPartitions(8, 3, computeNodeLoads([], ['a:1', 'b:1', 'c:1']));
  const total = new Map<string, number>();
  const prim = new Map<string, number>();
  for (const p of placed) {
    assert.is(new Set([p.primary, ...p.secondaries]).size, 3);
    prim.set(p.primary, (prim.get(p.primary) ?? 0) + 1);
    for (const n of [p.primary, ...p.secondaries]) total.set(n, (total.get(n) ?? 0) + 1);
  }
  assert.equal([...total.values()], [8, 8, 8]);
  assert.equal([...prim.values()].sort(), [2, 3, 3]);
});

test('fewer nodes than replicas: place what there is', () => {
  const placed = placeNewPartitions(2, 3, computeNodeLoads([], ['a:1']));
  assert.equal(placed, [{ primary: 'a:1', secondaries: [] }, { primary: 'a:1', secondaries: [] }]);
});

test('no node: empty placement for the guardian to fill later', () => {
  assert.equal(placeNewPartitions(1, 3, new Map()), [{ primary: '', secondaries: [] }]);
});

test('placement is deterministic', () => {
  const nodes = ['c:1', 'a:1', 'd:1', 'b:1'];
  assert.equal(placeNewPartitions(16, 3, computeNodeLoads([], nodes)), placeNewPartitions(16, 3, computeNodeLoads([], [...nodes].reverse())));
});

test.run();
