// `use [NAME]`: choose the table for set/get/del. Pegasus only records the name; we also open the
// table at once, so a typo is reported here rather than at the first data command.

import type { TableClient } from '../../../client/src/index.ts';
import type { CommandStatus, ShellContext } from '../context.ts';

export async function use(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  if (args.length > 1) return 'usage';
  if (args.length === 0) {
    ctx.io.out(ctx.currentApp ? `Current app: ${ctx.currentApp.name}` : 'Current app not specified.');
    return 'ok';
  }
  const appName = args[0];
  const opened = await ctx.pegasus.openTable(appName);
  if (opened.err !== 'ERR_OK') {
    ctx.io.out(`ERROR: use app ${appName} failed, error=${opened.err}: ${opened.detail}`);
    return 'failed';
  }
  ctx.currentApp = { name: appName, table: opened.table };
  ctx.io.out('OK');
  return 'ok';
}

/** The table of `use`, or undefined after telling the operator to pick one (Pegasus's text). */
export function requireTable(ctx: ShellContext): TableClient | undefined {
  if (ctx.currentApp) return ctx.currentApp.table;
  ctx.io.err('No app is using now');
  ctx.io.err('USAGE: use [app_name]');
  return undefined;
}

/** Where a data operation went, printed after it like Pegasus's shell (on stderr, as Pegasus does). */
export function printOpInfo(ctx: ShellContext, info: { app_id: number; partition_index: number; server: string; decree?: number }): void {
  ctx.io.err('');
  ctx.io.err(`app_id          : ${info.app_id}`);
  ctx.io.err(`partition_index : ${info.partition_index}`);
  if (info.decree !== undefined) ctx.io.err(`decree          : ${info.decree}`);
  ctx.io.err(`server          : ${info.server}`);
}
