// What every shell command gets: where to print, the clients, and the session's state.

import type { MetaClient, PegasusClient, TableClient } from '../../client/src/index.ts';
import type { LookupIpv4 } from './node_list.ts';

/** Output sinks, one line per call (no trailing newline). Tests capture them. */
export type ShellIo = { out(line: string): void; err(line: string): void };

/**
 * A command's outcome. `usage` means the arguments were wrong: the shell prints the usage line, as
 * Pegasus does when a handler returns false. `refused`: the server answered with an error and did
 * nothing (definite). `partial`: done, but with parts skipped on request (recover -b / -l).
 * A script's exit status (run_shell.ts SCRIPT_EXIT_CODES): 0 ok, 1 failed or usage, 2 refused,
 * 3 partial.
 */
export type CommandStatus = 'ok' | 'partial' | 'refused' | 'failed' | 'usage';

export type ShellContext = {
  io: ShellIo;
  metaServers: readonly string[];
  meta: MetaClient;
  pegasus: PegasusClient;
  /** The table chosen with `use`, for set/get/del. */
  currentApp: { name: string; table: TableClient } | undefined;
  lookupIpv4: LookupIpv4;
  /** create/recall poll the table every this many ms until it is ready (Pegasus: 2 s). */
  appReadyPollMs: number;
  /** ... and give up after this many seconds. */
  appReadyMaxWaitSeconds: number;
  /** While start_recovery runs, recover asks the meta every this many ms which nodes have answered. */
  recoverPollMs: number;
  /** stdin is a terminal: progress lines (on stderr) are worth printing. */
  interactive: boolean;
};

/** `args` are the words after the command name; `argBytes` the same words as bytes (see tokenize). */
export type CommandHandler = (ctx: ShellContext, args: string[], argBytes: Uint8Array[]) => Promise<CommandStatus>;

export type CommandEntry = { name: string; aliases?: string[]; help: string; usage: string; handler: CommandHandler };

/** Print lines on stdout. */
export function printLines(ctx: ShellContext, lines: readonly string[]): void {
  for (const line of lines) ctx.io.out(line);
}
