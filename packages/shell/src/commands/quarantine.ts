// `quarantine`: the replicas kept in quarantine after a partial recovery (meta server/quarantine.ts):
// on a node the recovery did not hear from, of a partition now served by others. They are never
// deleted or assigned; this lists them so the operator can compare them with the serving replicas
// (ballot, decrees) and decide by hand. Not a Pegasus command.

import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { renderTables } from '../table_printer.ts';
import { metaFailureLines } from './common.ts';

export async function quarantine(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  if (args.length > 0) return 'usage';
  const reply = await ctx.meta.call('list_nodes', { status: 'all' });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('list nodes failed', reply));
    return 'failed';
  }
  const list = reply.res.quarantined ?? [];
  if (list.length === 0) {
    ctx.io.out('no replica is in quarantine');
    return 'ok';
  }
  const columns = ['node', 'gpid', 'ballot', 'last_committed_decree', 'last_prepared_decree', 'served_at_ballot'].map((title, i) => ({ title, align: i >= 2 ? ('right' as const) : undefined }));
  const rows = list.map((q) => [q.node, q.gpid, q.ballot, q.last_committed_decree, q.last_prepared_decree, q.served_at_ballot]);
  printLines(ctx, renderTables([{ kind: 'columns', name: 'quarantined_replicas', columns, rows }]));
  ctx.io.out(`${list.length} replica(s) in quarantine: kept on disk, never assigned; compare them with the serving replicas before removing any by hand`);
  return 'ok';
}
