// `app NAME [-d]`: one table's partitions (replication_ddl_client::list_app).

import type { PartitionConfiguration } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { appHealth, compareNodes, countReplicasPerNode, partitionHealth } from '../health.ts';
import { renderTables, type Table } from '../table_printer.ts';
import { queryPartitions, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [{ short: 'd', long: 'detailed', takesValue: false }];

export async function app(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length !== 1) return 'usage';
  const appName = parsed.positionals[0];
  const detailed = parsed.options.has('detailed');
  const config = await queryPartitions(ctx, appName, `query app ${appName} failed`);
  if (!config) return 'failed';
  printLines(ctx, renderTables(appTables(appName, detailed, config.appId, config.partitionCount, config.partitions)));
  return 'ok';
}

export function appTables(appName: string, detailed: boolean, appId: number, partitionCount: number, partitions: readonly PartitionConfiguration[]): Table[] {
  const maxReplicaCount = partitions[0]?.max_replica_count ?? 0;
  const tables: Table[] = [
    { kind: 'key_value', name: 'parameters', rows: [['app_name', appName], ['detailed', detailed]] },
    {
      kind: 'key_value',
      name: 'general',
      rows: [['app_name', appName], ['app_id', appId], ['partition_count', partitionCount], ['max_replica_count', maxReplicaCount]],
    },
  ];
  if (!detailed) return tables;
  const replicaRows = partitions.map((pc) => [
    pc.pid.partition_index,
    pc.ballot,
    `${partitionHealth(pc).replicaCount}/${pc.max_replica_count}`,
    pc.primary === '' ? '-' : pc.primary,
    `[${pc.secondaries.join(',')}]`,
  ]);
  tables.push({ kind: 'columns', name: 'replicas', columns: ['pidx', 'ballot', 'replica_count', 'primary', 'secondaries'].map((title) => ({ title })), rows: replicaRows });
  tables.push(_nodesTable(partitions));
  const h = appHealth(partitions, partitionCount);
  tables.push({
    kind: 'key_value',
    name: 'healthy',
    rows: [
      ['fully_healthy_partition_count', h.fullyHealthy],
      ['unhealthy_partition_count', h.unhealthy],
      ['write_unhealthy_partition_count', h.writeUnhealthy],
      ['read_unhealthy_partition_count', h.readUnhealthy],
    ],
  });
  return tables;
}

/** `[nodes]`: per node primary/secondary/total, then a total row with an empty name. */
function _nodesTable(partitions: readonly PartitionConfiguration[]): Table {
  const counts = countReplicasPerNode(partitions);
  const nodes = [...counts.keys()].sort(compareNodes);
  const rows: (string | number)[][] = nodes.map((node) => {
    const c = counts.get(node)!;
    return [node, c.primary, c.secondary, c.primary + c.secondary];
  });
  const totalPrimary = nodes.reduce((sum, n) => sum + counts.get(n)!.primary, 0);
  const totalSecondary = nodes.reduce((sum, n) => sum + counts.get(n)!.secondary, 0);
  rows.push(['', totalPrimary, totalSecondary, totalPrimary + totalSecondary]);
  return { kind: 'columns', name: 'nodes', columns: ['node', 'primary', 'secondary', 'total'].map((title) => ({ title })), rows };
}
