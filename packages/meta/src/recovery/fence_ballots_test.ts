// Goal: recovered ballots are above every ballot seen, and partitions without a primary are left
// as they are. Method: rows of (primary ballot, candidate ballots) -> fenced ballot.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PartitionConfiguration } from '../../../proto/src/types.ts';
import { fenceBallots } from './fence_ballots.ts';

function pc(pidx: number, primary: string, ballot: number): PartitionConfiguration {
  return { pid: { app_id: 1, partition_index: pidx }, ballot, max_replica_count: 3, primary, secondaries: [], last_drops: [], last_committed_decree: 0, partition_flags: 0 };
}
const cand = (node: string, ballot: number) => ({ node, ballot, last_committed_decree: 1, last_prepared_decree: 1 });

const rows: [string, PartitionConfiguration, number[], number][] = [
  ['primary has the highest ballot',      pc(0, 'a:1', 5), [3, 4, 5], 6],
  ['a candidate has a higher ballot',     pc(1, 'a:1', 5), [7, 5],    8],
  ['no candidates listed',                pc(2, 'a:1', 5), [],        6],
  ['lost partition (no primary) is kept', pc(3, '',    0), [],        0],
];

for (const [name, config, ballots, expected] of rows) {
  test(name, () => {
    const fenced = fenceBallots(new Map([[1, [config]]]), new Map([[1, Array.from({ length: config.pid.partition_index + 1 }, (_, pidx) => (pidx === config.pid.partition_index ? ballots.map((b, i) => cand(`n:${i}`, b)) : []))]]));
    assert.is(fenced.get(1)![0].ballot, expected);
  });
}

test.run();
