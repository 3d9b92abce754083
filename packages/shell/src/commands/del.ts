// `del HASH SORT` on the table chosen with `use`.

import type { CommandStatus, ShellContext } from '../context.ts';
import { printOpInfo, requireTable } from './use.ts';

export async function del(ctx: ShellContext, args: string[], argBytes: Uint8Array[]): Promise<CommandStatus> {
  if (args.length !== 2) return 'usage';
  const table = requireTable(ctx);
  if (!table) return 'failed';
  const result = await table.del(argBytes[0], argBytes[1]);
  ctx.io.out(result.err === 'ERR_OK' ? 'OK' : `ERROR: ${result.err}${result.detail ? ` (${result.detail})` : ''}`);
  printOpInfo(ctx, result);
  return result.err === 'ERR_OK' ? 'ok' : 'failed';
}
