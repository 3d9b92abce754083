// `ls [-a] [-d]`: the tables, their health and a summary (replication_ddl_client::list_apps).

import type { AppInfo } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { appStatusName, formatDateTime } from '../format.ts';
import { type AppHealth, appHealth } from '../health.ts';
import { type KeyValueTable, renderTables, type Table } from '../table_printer.ts';
import { metaFailureLines, queryPartitions, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'a', long: 'all', takesValue: false },
  { short: 'd', long: 'detailed', takesValue: false },
];

export async function ls(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length > 0) return 'usage';
  const showAll = parsed.options.has('all');
  const detailed = parsed.options.has('detailed');
  const reply = await ctx.meta.call('list_apps', { status: 'all' });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('list apps failed', reply));
    return 'failed';
  }
  const apps = reply.res.infos.filter((a) => showAll || a.status === 'AS_AVAILABLE').sort((a, b) => a.app_id - b.app_id);
  const available = apps.filter((a) => a.status === 'AS_AVAILABLE');
  const tables: Table[] = [generalInfoTable(apps)];
  let healths: { info: AppInfo; health: AppHealth }[] | undefined;
  if (detailed && available.length > 0) {
    healths = [];
    for (const info of available) {
      const config = await queryPartitions(ctx, info.app_name, 'list apps failed');
      if (!config) return 'failed';
      healths.push({ info, health: appHealth(config.partitions, info.partition_count) });
    }
    tables.push(healthyInfoTable(healths));
  }
  tables.push(lsSummaryTable(available.length, healths));
  printLines(ctx, renderTables(tables));
  return 'ok';
}

/** `[general_info]`: drop times only for DROPPED tables with an expire time, as Pegasus prints. */
export function generalInfoTable(apps: readonly AppInfo[]): Table {
  const time = (seconds: number) => (seconds > 0 ? formatDateTime(seconds) : '-');
  const rows = apps.map((a) => {
    const dropped = a.status === 'AS_DROPPED' && a.expire_second > 0;
    return [
      a.app_id,
      appStatusName(a.status),
      a.app_name,
      a.app_type,
      a.partition_count,
      a.max_replica_count,
      a.is_stateful,
      time(a.create_second),
      dropped ? time(a.drop_second) : '-',
      dropped ? time(a.expire_second) : '-',
      Object.keys(a.envs ?? {}).length,
      false, // atomic_idempotent: not modelled here (AppInfo has no such field), Pegasus's default.
    ];
  });
  const titles = ['app_id', 'status', 'app_name', 'app_type', 'partition_count', 'replica_count', 'is_stateful', 'create_time', 'drop_time', 'drop_expire', 'envs_count', 'atomic_idempotent'];
  return { kind: 'columns', name: 'general_info', columns: titles.map((title) => ({ title })), rows };
}

export function healthyInfoTable(healths: readonly { info: AppInfo; health: AppHealth }[]): Table {
  const titles = ['app_id', 'app_name', 'partition_count', 'fully_healthy', 'unhealthy', 'write_unhealthy', 'read_unhealthy'];
  const rows = healths.map(({ info, health: h }) => [info.app_id, info.app_name, info.partition_count, h.fullyHealthy, h.unhealthy, h.writeUnhealthy, h.readUnhealthy]);
  return { kind: 'columns', name: 'healthy_info', columns: titles.map((title) => ({ title })), rows };
}

/** `[summary]`: an app counts as unhealthy when any partition is; write/read likewise. */
export function lsSummaryTable(availableCount: number, healths: readonly { info: AppInfo; health: AppHealth }[] | undefined): KeyValueTable {
  const rows: [string, number][] = [['total_app_count', availableCount]];
  if (healths) {
    const count = (pred: (h: AppHealth, info: AppInfo) => boolean) => healths.filter(({ health, info }) => pred(health, info)).length;
    rows.push(
      ['fully_healthy_app_count', count((h, info) => h.fullyHealthy === info.partition_count)],
      ['unhealthy_app_count', count((h, info) => h.fullyHealthy !== info.partition_count)],
      ['write_unhealthy_app_count', count((h) => h.writeUnhealthy > 0)],
      ['read_unhealthy_app_count', count((h) => h.readUnhealthy > 0)],
    );
  }
  return { kind: 'key_value', name: 'summary', rows };
}
