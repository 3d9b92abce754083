// Pieces shared by several commands: Pegasus's failure lines for meta requests, option errors,
// and fetching an app's partition configurations.

import type { MetaReply } from '../../../client/src/index.ts';
import type { ErrorCode, PartitionConfiguration } from '../../../proto/src/index.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';

/**
 * The failure message of a meta request, in Pegasus's form `<action>, error=<ERR>`. A meta's own
 * error gets that line exactly (so `list apps failed, error=ERR_UNDER_RECOVERY` reads as in the
 * seed) and its hint, if any, on a line of its own. A transport failure is one line that also says
 * what was tried, since the code alone does not tell the operator where to look.
 */
export function metaFailureLines(action: string, reply: MetaReply<{ err: ErrorCode; hint?: string }>): string[] {
  if (!reply.ok) return [`${action}, error=${reply.err}: ${reply.detail}`];
  const lines = [`${action}, error=${reply.res.err}`];
  if (reply.res.hint) lines.push(`hint: ${reply.res.hint}`);
  return lines;
}

/** A getopt error: print it (stderr) and ask the shell to print the usage line. */
export function usageError(ctx: ShellContext, message: string): CommandStatus {
  ctx.io.err(message);
  return 'usage';
}

/** The partitions of one app and its partition count, or undefined after printing the failure. */
export async function queryPartitions(
  ctx: ShellContext,
  appName: string,
  action: string,
): Promise<{ appId: number; partitionCount: number; partitions: PartitionConfiguration[] } | undefined> {
  const reply = await ctx.meta.call('query_configuration_by_index', { app_name: appName, partition_indices: [] });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    printLines(ctx, metaFailureLines(action, reply));
    return undefined;
  }
  const { app_id, partition_count, partitions } = reply.res;
  return { appId: app_id, partitionCount: partition_count, partitions: [...partitions].sort((a, b) => a.pid.partition_index - b.pid.partition_index) };
}
