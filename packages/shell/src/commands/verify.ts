// `verify [-a|--app_name NAME] [--json]`: is every partition whole? Asks the meta for each AVAILABLE
// table's partitions, every member for its partition_digest, and the primary for one read routed to
// each partition; verify_report.ts judges the answers. Exits non-zero (status 'failed') until every
// partition passes, naming those that do not. Not a Pegasus command (issue "Recovery an operator
// can trust": run it after a recovery, or after a failover, before telling anyone it is over).

import { partitionIndexOf } from '../../../client/src/index.ts';
import type { AppInfo, PartitionConfiguration } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { compareWithAppliedPlan, formatVerifyLines, type MemberDigest, type PartitionEvidence, type TableEvidence, type VerifyReport, verifyTables } from '../verify_report.ts';
import { metaFailureLines, queryPartitions, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'a', long: 'app_name', takesValue: true },
  { short: 'j', long: 'json', takesValue: false },
];

/** Members at different decrees are looked at again this many times, a second apart. */
const DECREE_SETTLE_ATTEMPTS = 5;
const DIGEST_TIMEOUT_MS = 10_000;

export async function verify(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length > 0) return 'usage';
  const only = parsed.options.get('app_name');
  const json = parsed.options.has('json');
  const reply = await ctx.meta.call('list_apps', { status: 'all' });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('list apps failed', reply));
    return 'failed';
  }
  const apps = reply.res.infos.filter((a) => a.status === 'AS_AVAILABLE' && (typeof only !== 'string' || a.app_name === only));
  if (typeof only === 'string' && apps.length === 0) {
    ctx.io.out(`verify failed, error=ERR_OBJECT_NOT_FOUND: no available table named ${only}`);
    return 'failed';
  }
  // After a recovery, the tables it wrote (its audit record) must all still be there, as written.
  const status = await ctx.meta.call('query_recovery_status', {});
  const audit = status.ok && status.res.err === 'ERR_OK' ? status.res.audit : undefined;
  const applied = audit?.table_list ? { plan_id: audit.plan_id, problems: compareWithAppliedPlan(audit.table_list, reply.res.infos) } : undefined;
  let report: VerifyReport | undefined;
  for (let attempt = 1; ; attempt++) {
    const evidence: TableEvidence[] = [];
    for (const app of apps.sort((a, b) => a.app_id - b.app_id)) {
      const table = await _gatherTable(ctx, app);
      if (!table) return 'failed';
      evidence.push(table);
    }
    report = verifyTables(evidence, typeof only === 'string' ? undefined : applied);
    const settling = report.tables.flatMap((t) => t.partitions).filter((p) => !p.ok);
    if (report.ok || attempt >= DECREE_SETTLE_ATTEMPTS || !settling.every((p) => p.decreesDiffer)) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (json) ctx.io.out(JSON.stringify(report));
  else printLines(ctx, formatVerifyLines(report));
  return report.ok ? 'ok' : 'failed';
}

async function _gatherTable(ctx: ShellContext, app: AppInfo): Promise<TableEvidence | undefined> {
  const config = await queryPartitions(ctx, app.app_name, `query app ${app.app_name} failed`);
  if (!config) return undefined;
  const opened = await ctx.pegasus.openTable(app.app_name);
  const partitions = await Promise.all(
    config.partitions.map(async (pc): Promise<PartitionEvidence> => {
      const digests = await Promise.all(_members(pc).map((node) => _digest(ctx, node, pc)));
      let sampleRead: PartitionEvidence['sampleRead'];
      if (opened.err !== 'ERR_OK') sampleRead = { err: opened.err, detail: opened.detail };
      else {
        const read = await opened.table.get(sampleHashKey(pc.pid.partition_index, config.partitionCount), new Uint8Array(0));
        sampleRead = { err: read.err, detail: read.detail };
      }
      return { config: pc, digests, sampleRead };
    }),
  );
  return { app_id: config.appId, app_name: app.app_name, partition_count: config.partitionCount, partitions };
}

function _members(pc: PartitionConfiguration): string[] {
  return [...(pc.primary === '' ? [] : [pc.primary]), ...pc.secondaries];
}

async function _digest(ctx: ShellContext, node: string, pc: PartitionConfiguration): Promise<MemberDigest> {
  const res = await ctx.pegasus.replica(node).call('partition_digest', { pid: pc.pid }, DIGEST_TIMEOUT_MS);
  if (!res.ok) return { node, ok: false, err: res.err, detail: res.detail };
  if (res.res.err !== 'ERR_OK') return { node, ok: false, err: res.res.err, detail: '' };
  const { status, ballot, last_committed_decree, row_count, checksum } = res.res;
  return { node, ok: true, status, ballot, last_committed_decree, row_count, checksum };
}

/** A hash key that routes to partition `pidx` (the read needs a key; whether it exists does not matter). */
export function sampleHashKey(pidx: number, partitionCount: number): Uint8Array {
  const encoder = new TextEncoder();
  for (let n = 0; ; n++) {
    const key = encoder.encode(`__verify__${n}`);
    if (partitionIndexOf(key, new Uint8Array(0), partitionCount) === pidx) return key;
  }
}
