// `nodes [-d]`: replica servers the meta knows, with per-node replica counts over the AVAILABLE
// apps when detailed (replication_ddl_client::list_nodes, node_management.cpp).

import type { NodeInfo, PartitionConfiguration, QuarantinedReplica } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { compareNodes, countReplicasPerNode } from '../health.ts';
import { renderTables, type Table } from '../table_printer.ts';
import { metaFailureLines, queryPartitions, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [{ short: 'd', long: 'detailed', takesValue: false }];

export async function nodes(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length > 0) return 'usage';
  const detailed = parsed.options.has('detailed');
  const reply = await ctx.meta.call('list_nodes', { status: 'all' });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('list nodes failed', reply));
    return 'failed';
  }
  let partitions: PartitionConfiguration[] | undefined;
  if (detailed) {
    partitions = await _availablePartitions(ctx);
    if (!partitions) return 'failed';
  }
  printLines(ctx, renderTables(nodesTables(reply.res.infos, partitions, reply.res.quarantined ?? [])));
  return 'ok';
}

/** Every partition of every AVAILABLE app, or undefined after printing the failure. */
async function _availablePartitions(ctx: ShellContext): Promise<PartitionConfiguration[] | undefined> {
  const apps = await ctx.meta.call('list_apps', { status: 'all' });
  if (!apps.ok || apps.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('list apps failed', apps));
    return undefined;
  }
  const all: PartitionConfiguration[] = [];
  for (const app of apps.res.infos.filter((a) => a.status === 'AS_AVAILABLE')) {
    const config = await queryPartitions(ctx, app.app_name, `list app ${app.app_name} failed`);
    if (!config) return undefined;
    all.push(...config.partitions);
  }
  return all;
}

/**
 * `[details]` then `[summary]`; the count columns are right-aligned, as in Pegasus. With -d and any
 * replica in quarantine after a partial recovery (see `quarantine`), a `quarantined` column too.
 */
export function nodesTables(infos: readonly NodeInfo[], partitions: readonly PartitionConfiguration[] | undefined, quarantined: readonly QuarantinedReplica[] = []): Table[] {
  const sorted = [...infos].sort((a, b) => compareNodes(a.node, b.node));
  const counts = partitions ? countReplicasPerNode(partitions) : undefined;
  const showQuarantine = counts !== undefined && quarantined.length > 0;
  const columns: { title: string; align?: 'right' }[] = [{ title: 'address' }, { title: 'status' }];
  if (counts) columns.push(...['replica_count', 'primary_count', 'secondary_count'].map((title) => ({ title, align: 'right' as const })));
  if (showQuarantine) columns.push({ title: 'quarantined', align: 'right' as const });
  const rows = sorted.map((n) => {
    const row: (string | number)[] = [n.node, n.status];
    if (counts) {
      const c = counts.get(n.node) ?? { primary: 0, secondary: 0 };
      row.push(c.primary + c.secondary, c.primary, c.secondary);
    }
    if (showQuarantine) row.push(quarantined.filter((q) => q.node === n.node).length);
    return row;
  });
  const alive = infos.filter((n) => n.status === 'ALIVE').length;
  return [
    { kind: 'columns', name: 'details', columns, rows },
    {
      kind: 'key_value',
      name: 'summary',
      rows: [
        ['total_node_count', infos.length],
        ['alive_node_count', alive],
        ['unalive_node_count', infos.length - alive],
      ],
    },
  ];
}
