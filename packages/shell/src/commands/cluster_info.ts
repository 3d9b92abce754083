// `cluster_info`: the meta's key/value pairs as a single-column table (node_management.cpp).

import type { CommandStatus, ShellContext } from '../context.ts';
import { printLines } from '../context.ts';
import { renderKeyValues } from '../table_printer.ts';
import { metaFailureLines } from './common.ts';

export async function clusterInfo(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  if (args.length > 0) return 'usage';
  const reply = await ctx.meta.call('cluster_info', {});
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('get cluster info failed', reply));
    return 'failed';
  }
  const { keys, values } = reply.res;
  const rows = keys.map((key, i): [string, string] => [key, values[i] ?? '']);
  printLines(ctx, renderKeyValues({ kind: 'key_value', name: 'cluster_info', rows }));
  return 'ok';
}
