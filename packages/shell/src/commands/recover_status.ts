// `recover_status [--json]`: is a recovery running, at which stage, how did the last attempt end,
// and which recovery built this cluster_root. For the operator whose `recover` wait ran out (the
// meta goes on with the request) or who comes back to a cluster later. Not a Pegasus command.

import { describeRecovery, type QueryRecoveryStatusResponse } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { splitHintLines } from '../recover_report.ts';
import { metaFailureLines, usageError } from './common.ts';

const OPTIONS: OptionSpec[] = [{ short: 'j', long: 'json', takesValue: false }];

export async function recoverStatus(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return usageError(ctx, parsed.message);
  if (parsed.positionals.length > 0) return 'usage';
  const reply = await ctx.meta.call('query_recovery_status', {});
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines('query recovery status failed', reply));
    return 'failed';
  }
  if (parsed.options.has('json')) ctx.io.out(JSON.stringify(reply.res));
  else printLines(ctx, recoverStatusLines(reply.res));
  return 'ok';
}

const time = (ms: number) => new Date(ms).toISOString();

export function recoverStatusLines(s: QueryRecoveryStatusResponse): string[] {
  const lines = [`meta mode       : ${s.meta_mode}`];
  if (s.running) lines.push(`recovery        : running (${s.mode}), stage ${s.stage}, started ${time(s.started_at_ms)}`);
  else if (s.last_err !== '') lines.push(`recovery        : not running; the last attempt (${s.mode}) ended ${time(s.finished_at_ms)} with ${s.last_err}`);
  else lines.push('recovery        : no attempt since this meta server started');
  for (const c of s.collected) lines.push(`  node ${c.node}: ${c.err === 'ERR_OK' ? 'ok' : c.err} in ${c.latency_ms} ms`);
  if (!s.running) for (const h of splitHintLines(s.last_hint_message)) lines.push(`  ${h}`);
  lines.push(`last recovery   : ${s.audit ? describeRecovery(s.audit) : 'none recorded under this cluster_root'}`);
  return lines;
}
