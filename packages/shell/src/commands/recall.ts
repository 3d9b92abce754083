// `recall APP_ID [NEW_NAME]`: bring back a dropped table that has not expired yet
// (table_management.cpp recall_app; replication_ddl_client::recall_app).

import { parseInt32 } from '../args.ts';
import type { CommandStatus, ShellContext } from '../context.ts';
import { usageError } from './common.ts';
import { isValidAppName } from './create.ts';
import { waitAppReady } from './wait_app_ready.ts';

export async function recall(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  if (args.length < 1 || args.length > 2) return 'usage';
  const appId = parseInt32(args[0]);
  if (appId === undefined) return usageError(ctx, `ERROR: parse ${args[0]} as id failed`);
  const newName = args[1] ?? '';
  if (newName !== '' && !isValidAppName(newName)) {
    ctx.io.out(`recall app ${appId} failed, error=ERR_INVALID_PARAMETERS`);
    return 'failed';
  }
  const reply = await ctx.meta.call('recall_app', { app_id: appId, new_app_name: newName });
  if (!reply.ok || reply.res.err !== 'ERR_OK') {
    const detail = reply.ok ? '' : `: ${reply.detail}`;
    ctx.io.out(`recall app ${appId} failed, error=${reply.ok ? reply.res.err : reply.err}${detail}`);
    return 'failed';
  }
  const info = reply.res.info;
  if (info) {
    ctx.io.out(`recall app ok, id(${info.app_id}), name(${info.app_name}), partition_count(${info.partition_count}), wait it ready`);
    const ready = await waitAppReady(ctx, info.app_name, info.partition_count, info.max_replica_count);
    if (ready !== 'ERR_OK') {
      ctx.io.out(`recall app ${appId} failed, error=${ready}`);
      return 'failed';
    }
  }
  ctx.io.out(`recall app ${appId} succeed`);
  return 'ok';
}
