// The pure half of `verify`: given what the meta and every replica said about each partition, say
// which partitions are not yet whole, and why. The command (commands/verify.ts) gathers the
// evidence; this file only judges it, so every rule below has a table test.
//
// A partition passes when all of these hold:
//   - it has a primary, and primary + secondaries >= max_replica_count;
//   - every member answered partition_digest, in the role the meta gives it (PS_PRIMARY /
//     PS_SECONDARY) and at the partition's ballot;
//   - every member stands at the same last_committed_decree and holds the same rows (row count and
//     the CRC-32 chain over the committed rows in key order, replica_storage.ts `digest`);
//   - a read routed to the partition succeeds (found or not: the read path works).
// Members at different decrees are reported as such, not as disagreeing rows: a write in flight or
// a secondary that has not heard the last commit point yet is not corruption, and the command
// looks again before it reports it.

import type { AppInfo, ErrorCode, NodeAddress, PartitionConfiguration, PartitionStatus } from '../../proto/src/index.ts';

export type MemberDigest =
  | { node: NodeAddress; ok: true; status: PartitionStatus; ballot: number; last_committed_decree: number; row_count: number; checksum: string }
  | { node: NodeAddress; ok: false; err: ErrorCode; detail: string };

export type PartitionEvidence = {
  config: PartitionConfiguration;
  /** One per member of `config` (primary first), in any order. */
  digests: MemberDigest[];
  /** The outcome of one read routed to this partition. */
  sampleRead: { err: ErrorCode; detail: string };
};

export type TableEvidence = { app_id: number; app_name: string; partition_count: number; partitions: PartitionEvidence[] };

export type PartitionVerdict = {
  gpid: string;
  ok: boolean;
  /** True when the only problems are members at different decrees (worth looking again). */
  decreesDiffer: boolean;
  problems: string[];
  replica_count: number;
  max_replica_count: number;
  row_count: number | undefined;
  checksum: string | undefined;
};

export type VerifyReport = {
  ok: boolean;
  /** The recovery recorded under cluster_root whose tables were compared, if any. */
  applied_plan_id?: string;
  /** Ways the cluster's tables differ from that recovery's (see compareWithAppliedPlan). */
  plan_problems: string[];
  table_count: number;
  partition_count: number;
  failed_partition_count: number;
  tables: { app_id: number; app_name: string; partitions: PartitionVerdict[] }[];
};

export function verifyPartition(e: PartitionEvidence): PartitionVerdict {
  const pc = e.config;
  const gpid = `${pc.pid.app_id}.${pc.pid.partition_index}`;
  const members = [...(pc.primary === '' ? [] : [pc.primary]), ...pc.secondaries];
  const problems: string[] = [];
  let decreeProblem = false;
  if (pc.primary === '') problems.push('no primary');
  if (members.length < pc.max_replica_count) problems.push(`${members.length} of ${pc.max_replica_count} replicas`);
  const answered: Extract<MemberDigest, { ok: true }>[] = [];
  for (const node of members) {
    const d = e.digests.find((x) => x.node === node);
    const role: PartitionStatus = node === pc.primary ? 'PS_PRIMARY' : 'PS_SECONDARY';
    if (!d) problems.push(`${node}: not asked`);
    else if (!d.ok) problems.push(`${node}: digest failed, ${d.err}${d.detail ? ` (${d.detail})` : ''}`);
    else {
      answered.push(d);
      if (d.status !== role) problems.push(`${node}: is ${d.status}, the meta says ${role}`);
      if (d.ballot !== pc.ballot) problems.push(`${node}: at ballot ${d.ballot}, the meta says ${pc.ballot}`);
    }
  }
  const decrees = new Set(answered.map((d) => d.last_committed_decree));
  if (decrees.size > 1) {
    decreeProblem = true;
    problems.push(`members at different decrees: ${answered.map((d) => `${d.node}=${d.last_committed_decree}`).join(', ')}`);
  } else {
    const contents = new Set(answered.map((d) => `${d.row_count}/${d.checksum}`));
    if (contents.size > 1) {
      problems.push(`members disagree on their rows at decree ${answered[0].last_committed_decree}: ${answered.map((d) => `${d.node} rows=${d.row_count} checksum=${d.checksum}`).join(', ')}`);
    }
  }
  if (e.sampleRead.err !== 'ERR_OK') problems.push(`sample read failed, ${e.sampleRead.err}${e.sampleRead.detail ? ` (${e.sampleRead.detail})` : ''}`);
  const reference = answered.find((d) => d.node === pc.primary) ?? answered[0];
  return {
    gpid,
    ok: problems.length === 0,
    decreesDiffer: decreeProblem && problems.length === 1,
    problems,
    replica_count: members.length,
    max_replica_count: pc.max_replica_count,
    row_count: reference?.row_count,
    checksum: reference?.checksum,
  };
}

/**
 * The tables a recovery wrote (its audit record) against the tables the meta lists now: each must
 * still exist with the same name and partition count. A table dropped since is still listed (soft
 * delete), so an operator's later drop does not fail verify; a table that vanished or changed does.
 */
export function compareWithAppliedPlan(written: readonly { app_id: number; app_name: string; partition_count: number }[], listed: readonly AppInfo[]): string[] {
  const problems: string[] = [];
  for (const w of written) {
    const now = listed.find((a) => a.app_id === w.app_id);
    if (!now) problems.push(`table ${w.app_id} (${w.app_name}) was written by the recovery but the meta does not list it`);
    else if (now.app_name !== w.app_name || now.partition_count !== w.partition_count) {
      problems.push(`table ${w.app_id}: the recovery wrote ${w.app_name} with ${w.partition_count} partitions, the meta lists ${now.app_name} with ${now.partition_count}`);
    }
  }
  return problems;
}

export function verifyTables(tables: readonly TableEvidence[], applied?: { plan_id: string; problems: string[] }): VerifyReport {
  const out = tables.map((t) => {
    const partitions = t.partitions.map(verifyPartition);
    // A partition the meta did not list at all is a failure too.
    const seen = new Set(t.partitions.map((p) => p.config.pid.partition_index));
    for (let i = 0; i < t.partition_count; i++) {
      if (seen.has(i)) continue;
      partitions.push({ gpid: `${t.app_id}.${i}`, ok: false, decreesDiffer: false, problems: ['the meta lists no configuration'], replica_count: 0, max_replica_count: 0, row_count: undefined, checksum: undefined });
    }
    partitions.sort((a, b) => Number(a.gpid.split('.')[1]) - Number(b.gpid.split('.')[1]));
    return { app_id: t.app_id, app_name: t.app_name, partitions };
  });
  const all = out.flatMap((t) => t.partitions);
  const failed = all.filter((p) => !p.ok).length;
  const planProblems = applied?.problems ?? [];
  return {
    ok: failed === 0 && planProblems.length === 0,
    ...(applied ? { applied_plan_id: applied.plan_id } : {}),
    plan_problems: planProblems,
    table_count: out.length,
    partition_count: all.length,
    failed_partition_count: failed,
    tables: out,
  };
}

/** The human report: one line per failed partition, then a per-table and an overall line. */
export function formatVerifyLines(report: VerifyReport): string[] {
  const lines: string[] = [];
  for (const t of report.tables) {
    const bad = t.partitions.filter((p) => !p.ok);
    const rows = t.partitions.reduce((n, p) => n + (p.row_count ?? 0), 0);
    for (const p of bad) lines.push(`FAILED ${t.app_name} partition ${p.gpid}: ${p.problems.join('; ')}`);
    lines.push(`${bad.length === 0 ? 'OK' : 'FAILED'} app ${t.app_name} (id ${t.app_id}): ${t.partitions.length - bad.length} of ${t.partitions.length} partitions verified, ${rows} rows`);
  }
  for (const p of report.plan_problems) lines.push(`FAILED plan ${report.applied_plan_id}: ${p}`);
  if (report.applied_plan_id && report.plan_problems.length === 0) lines.push(`OK the tables match recovery plan ${report.applied_plan_id}`);
  lines.push(
    report.ok
      ? `Verify result: OK, ${report.partition_count} partitions of ${report.table_count} tables verified`
      : `Verify result: FAILED, ${report.failed_partition_count} of ${report.partition_count} partitions not verified${report.plan_problems.length > 0 ? `, ${report.plan_problems.length} difference(s) from the applied plan` : ''}`,
  );
  return lines;
}
