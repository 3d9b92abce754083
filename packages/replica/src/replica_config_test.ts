// Goal: the ballot rules. A replica never accepts a lower ballot, from a config or a prepare; the
// config decides the role; a prepare never promotes, and a primary meets a higher ballot by
// stepping down. Method: the pure decision functions, one table row per case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PartitionConfiguration, PartitionStatus } from '../../proto/src/index.ts';
import { decideConfig, isMember } from './replica_config.ts';
import { type PrepareVerdict, judgePrepare } from './replica_prepare.ts';

const ME = '127.0.0.1:1';
const X = '127.0.0.1:2';
const Y = '127.0.0.1:3';

function config(ballot: number, primary: string, secondaries: string[]): PartitionConfiguration {
  return { pid: { app_id: 1, partition_index: 0 }, ballot, max_replica_count: 3, primary, secondaries, last_drops: [], last_committed_decree: 0, partition_flags: 0 };
}

type ConfigRow = [string, number, PartitionStatus, boolean, PartitionConfiguration, string];
const CONFIG_ROWS: ConfigRow[] = [
  // case                          local  status                    learning  config                  outcome
  ['lower ballot',                 5,     'PS_PRIMARY',             false,    config(4, ME, [X, Y]),  'ignore'],
  ['lower ballot, even as member', 5,     'PS_INACTIVE',            false,    config(0, X, [ME]),     'ignore'],
  ['same ballot, primary',         5,     'PS_INACTIVE',            false,    config(5, ME, [X, Y]),  'PS_PRIMARY'],
  ['higher ballot, primary',       5,     'PS_SECONDARY',           false,    config(6, ME, [X]),     'PS_PRIMARY'],
  ['higher ballot, secondary',     5,     'PS_PRIMARY',             false,    config(6, X, [Y, ME]),  'PS_SECONDARY'],
  ['not a member',                 5,     'PS_SECONDARY',           false,    config(6, X, [Y]),      'PS_INACTIVE'],
  ['learner upgraded',             5,     'PS_POTENTIAL_SECONDARY', true,     config(6, X, [Y, ME]),  'PS_SECONDARY'],
  ['learner not yet a member',     5,     'PS_POTENTIAL_SECONDARY', true,     config(5, X, [Y]),      'ignore'],
  ['learner named primary',        5,     'PS_POTENTIAL_SECONDARY', true,     config(6, ME, [X]),     'ignore'],
  ['storage failed',               5,     'PS_ERROR',               false,    config(6, ME, [X]),     'ignore'],
];

for (const [name, ballot, status, learning, cfg, outcome] of CONFIG_ROWS) {
  test(`config: ${name}`, () => {
    const d = decideConfig({ ballot, status, learning }, cfg, ME);
    assert.is(d.action === 'ignore' ? 'ignore' : d.status, outcome);
  });
}

test('config: membership', () => {
  assert.ok(isMember(config(1, ME, []), ME));
  assert.ok(isMember(config(1, X, [ME]), ME));
  assert.not.ok(isMember(config(1, X, [Y]), ME));
});

type PrepareRow = [string, number, PartitionStatus, number, PrepareVerdict];
const PREPARE_ROWS: PrepareRow[] = [
  // case                             local  status                    request  verdict
  ['lower ballot',                    5,     'PS_SECONDARY',           4,       'refuse_version'],
  ['lower ballot to a primary',       5,     'PS_PRIMARY',             4,       'refuse_version'],
  ['same ballot, secondary',          5,     'PS_SECONDARY',           5,       'accept'],
  ['same ballot, restarted',          5,     'PS_INACTIVE',            5,       'accept'],
  ['same ballot, learner',            5,     'PS_POTENTIAL_SECONDARY', 5,       'accept'],
  ['same ballot, primary',            5,     'PS_PRIMARY',             5,       'refuse_state'],
  ['higher ballot, secondary',        5,     'PS_SECONDARY',           6,       'accept'],
  ['higher ballot, old primary',      5,     'PS_PRIMARY',             6,       'accept_step_down'],
  ['replica in error',                5,     'PS_ERROR',               6,       'refuse_state'],
];

for (const [name, ballot, status, requestBallot, verdict] of PREPARE_ROWS) {
  test(`prepare: ${name}`, () => {
    assert.is(judgePrepare({ ballot, status }, requestBallot), verdict);
  });
}

test.run();
