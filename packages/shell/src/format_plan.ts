// The human report of a recovery plan, as the shell prints it for `recover --plan`. Every line is
// a function of the plan alone, so the same plan prints the same text (diffable, testable), and
// each line starts with a word to grep for: `table`, `  partition`, `placeholder`, `WARNING:`,
// `NOT REBUILT:`, `totals:`, `plan id:`. Pure.

import { type PlanCandidate, type PlanPartition, type PlanTable, RISK_TIERS, type RecoveryPlan } from '../../proto/src/index.ts';

/**
 * The report, in the order an operator reads it: what was asked (options, node list), what came
 * out (result and the core's hint lines, verbatim), each table and partition, what is incomplete,
 * what must be restored by hand, the totals, and last the id to pass to the apply step.
 */
export function formatPlanLines(plan: RecoveryPlan): string[] {
  const lines = [
    `recovery plan ${plan.plan_id}, created ${_time(plan.created_at_second)}`,
    `options: skip_bad_nodes=${plan.options.skip_bad_nodes} skip_lost_partitions=${plan.options.skip_lost_partitions}`,
    `node list: ${plan.node_list.join(' ')}`,
    `result: ${plan.err} (${plan.outcome})`,
    ...plan.hint_lines,
  ];
  if (plan.err !== 'ERR_OK') lines.push(`nothing will be written; next: ${plan.next_step}`);
  for (const table of plan.tables) lines.push(_tableHeader(table), ...table.partitions.map(_partitionLine));
  for (const p of plan.placeholders) lines.push(`placeholder ${p.app_id} ${p.app_name}: no table, no data; keeps id ${p.app_id} from being reused`);
  const c = plan.completeness;
  for (const node of c.unlisted_heartbeating_nodes) lines.push(`WARNING: node ${node} sends heartbeats but is not in the node list`);
  for (const u of c.unanswered_nodes) lines.push(`WARNING: node ${u.node} did not answer (${u.err ?? 'no report'})`);
  for (const u of c.under_replicated) {
    const holders = u.held_by_unused_nodes ?? [];
    const where = holders.length > 0 ? `; held by ${holders.join(', ')}, whose answer was not used (add it to the node list, or bring it back)` : '';
    lines.push(`WARNING: partition ${u.gpid} has ${u.replicas} of ${u.replicas + u.needs} replicas; needs ${_count(u.needs, 'more node')}${where}`);
  }
  lines.push(...notRebuiltLines(plan));
  if (plan.err === 'ERR_OK') {
    const t = plan.totals;
    const tiers = RISK_TIERS.map((tier) => `${tier} ${t.tiers[tier]}`).join(', ');
    lines.push(`totals: ${_count(t.partitions, 'partition')} served: ${tiers}; may lose ${_count(t.may_lose_decrees, 'decree')}`);
  }
  lines.push(`plan id: ${plan.plan_id}`);
  return lines;
}

function _tableHeader(t: PlanTable): string {
  const marks: string[] = [];
  if (t.original_name !== undefined) marks.push(`renamed from ${t.original_name}`);
  if (t.was_dropped) {
    const when = [t.drop_second > 0 ? `at ${_time(t.drop_second)}` : '', t.expire_second > 0 ? `expires ${_time(t.expire_second)}` : ''];
    marks.push(['dropped', ...when.filter((w) => w)].join(' '));
  }
  const name = marks.length > 0 ? `${t.app_name} (${marks.join(', ')})` : t.app_name;
  return `table ${t.app_id} ${name}: ${_count(t.partition_count, 'partition')}, ${_count(t.max_replica_count, 'replica')} each`;
}

/**
 * `  partition 3.2: at-risk, may lose 19 decrees, primary N (5, 300, 301); others M (4, 320, 320)`.
 * A dropped table's partition has no primary: the replicas found are listed as `replicas`.
 */
function _partitionLine(p: PlanPartition): string {
  const head = `  partition ${p.gpid}: ${p.tier}${p.may_lose_decrees > 0 ? `, may lose ${_count(p.may_lose_decrees, 'decree')}` : ''}`;
  if (p.candidates.length === 0) return `${head}, no replica found`;
  if (p.primary === undefined) return `${head}, no primary (table dropped); replicas ${p.candidates.map(_candidate).join(', ')}`;
  const [primary, ...others] = p.candidates;
  return `${head}, primary ${_candidate(primary)}; ${others.length > 0 ? `others ${others.map(_candidate).join(', ')}` : 'no others'}`;
}

/** `node (ballot, last_committed_decree, last_prepared_decree)`. */
function _candidate(c: PlanCandidate): string {
  return `${c.node} (${c.ballot}, ${c.last_committed_decree}, ${c.last_prepared_decree})`;
}

/** ISO 8601 in UTC; a value Date cannot hold is printed as the raw second rather than thrown. */
function _time(seconds: number): string {
  const ms = seconds * 1000;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `second ${seconds}`;
}

/** "1 partition", "4 partitions". */
function _count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Per table, the metadata replicas do not carry (the plan, and the result of an apply, list it). */
export function notRebuiltLines(plan: RecoveryPlan | undefined): string[] {
  return (plan?.not_rebuilt ?? []).map((n) => `NOT REBUILT: table ${n.app_id} ${n.app_name}: ${n.kinds.join(', ')}; restore by hand`);
}
