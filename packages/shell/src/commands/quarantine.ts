// `quarantine [--release NODE [--gpid APP.PIDX]]`: the replicas kept in quarantine after a partial
// recovery (meta server/quarantine.ts): on a node the recovery did not hear from, of a partition
// now served by others. They are never deleted or assigned on their own; this lists them so the
// operator can compare them with the serving replicas (ballot, decrees), and `--release` lets the
// replica server remove the ones the operator no longer needs (at its next config sync; a replica
// that changed meanwhile stays). Not a Pegasus command.

import type { QuarantinedReplica } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { renderTables } from '../table_printer.ts';
import { metaFailureLines, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'r', long: 'release', takesValue: true },
  { short: 'g', long: 'gpid', takesValue: true },
];

export const QUARANTINE_USAGE = '[-r|--release node [-g|--gpid app_id.partition_index]]';

export async function quarantine(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length > 0) return 'usage';
  const release = parsed.options.get('release');
  const gpid = parsed.options.get('gpid');
  if (gpid !== undefined && release === undefined) return usageError(ctx, '--gpid needs --release NODE');
  if (typeof release === 'string') return await _release(ctx, release, typeof gpid === 'string' ? gpid : undefined);
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
  printLines(ctx, _table('quarantined_replicas', list));
  ctx.io.out(`${list.length} replica(s) in quarantine: kept on disk, never assigned; compare them with the serving replicas, then release the ones not needed with: quarantine --release NODE [--gpid GPID]`);
  return 'ok';
}

async function _release(ctx: ShellContext, node: string, gpid: string | undefined): Promise<CommandStatus> {
  const reply = await ctx.meta.call('release_quarantine', { node, ...(gpid !== undefined ? { gpid } : {}) });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('release quarantine failed', reply));
    // No answer: the outcome is unknown; an error answer: the meta released nothing.
    return reply.ok ? 'refused' : 'failed';
  }
  printLines(ctx, _table('released_replicas', reply.res.released));
  ctx.io.out(`${reply.res.released.length} replica(s) released: node ${node} removes them at its next config sync (a replica that changed meanwhile stays in quarantine)`);
  return 'ok';
}

function _table(name: string, list: readonly QuarantinedReplica[]): string[] {
  const columns = ['node', 'gpid', 'ballot', 'last_committed_decree', 'last_prepared_decree', 'served_at_ballot'].map((title, i) => ({ title, align: i >= 2 ? ('right' as const) : undefined }));
  const rows = list.map((q) => [q.node, q.gpid, q.ballot, q.last_committed_decree, q.last_prepared_decree, q.served_at_ballot]);
  return renderTables([{ kind: 'columns', name, columns, rows }]);
}
