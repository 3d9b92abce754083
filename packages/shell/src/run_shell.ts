// Running commands: one line at a time, in order, remembering the worst outcome so a script's exit
// status says so: 0 when every command succeeded; else 1 (failed: unknown outcome, or bad usage)
// before 2 (refused: the server said no, nothing happened) before 3 (partial: done, with skips).

import { tokenize } from './args.ts';
import { COMMANDS, EXIT_COMMAND, findCommand } from './commands.ts';
import { printHelp } from './commands/help.ts';
import type { CommandStatus, ShellContext } from './context.ts';

export type LineOutcome = { status: CommandStatus | 'empty'; exit: boolean };

export async function executeLine(ctx: ShellContext, line: string): Promise<LineOutcome> {
  const trimmed = line.trim();
  // Blank lines and `#` comments let a script carry notes.
  if (trimmed === '' || trimmed.startsWith('#')) return { status: 'empty', exit: false };
  const tokens = tokenize(trimmed);
  if (!tokens.ok) {
    ctx.io.err(`ERROR: ${tokens.message}`);
    return { status: 'failed', exit: false };
  }
  const [name, ...args] = tokens.words;
  const command = findCommand(name);
  if (!command) {
    ctx.io.err(`ERROR: invalid subcommand '${name}'`);
    printHelp(ctx.io, COMMANDS);
    return { status: 'failed', exit: false };
  }
  if (command.name === EXIT_COMMAND) return { status: 'ok', exit: true };
  const status = await command.handler(ctx, args, tokens.bytes.slice(1));
  if (status === 'usage') ctx.io.err(`USAGE: ${command.name} ${command.usage}`.trimEnd());
  return { status, exit: false };
}

export const SCRIPT_EXIT_CODES: Record<CommandStatus, number> = { ok: 0, failed: 1, usage: 1, refused: 2, partial: 3 };
/** Which exit code wins when a script's commands end differently: the first listed. */
const SEVERITY = [1, 2, 3, 0];

/** Run a script (piped stdin); returns the exit status. */
export async function runLines(ctx: ShellContext, lines: AsyncIterable<string> | Iterable<string>): Promise<number> {
  let code = 0;
  for await (const line of lines) {
    const outcome = await executeLine(ctx, line);
    if (outcome.status !== 'empty') {
      const next = SCRIPT_EXIT_CODES[outcome.status];
      if (SEVERITY.indexOf(next) < SEVERITY.indexOf(code)) code = next;
    }
    if (outcome.exit) break;
  }
  return code;
}
