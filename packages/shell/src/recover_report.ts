// The text `recover` prints (replication_ddl_client::do_recovery; pegasus-spec §5.1, seed step 5).
// Pure: options, nodes and the meta's answer in, lines out, so the layout is tested as a transcript.

import type { ErrorCode } from '../../proto/src/index.ts';

/** 29 `=`, as in the seed. */
export const RECOVER_SEPARATOR = '='.repeat(29);

export type RecoverOptions = { waitSeconds: number; skipBadNodes: boolean; skipLostPartitions: boolean };

export function recoverHeaderLines(options: RecoverOptions, nodes: readonly string[]): string[] {
  return [
    `Wait seconds: ${options.waitSeconds}`,
    `Skip bad nodes: ${options.skipBadNodes}`,
    `Skip lost partitions: ${options.skipLostPartitions}`,
    'Node list:',
    RECOVER_SEPARATOR,
    ...nodes,
    RECOVER_SEPARATOR,
  ];
}

/**
 * Split the meta's hint_message into lines. Pegasus's bad-node hints lack their trailing newline
 * (server_state.cpp, pegasus-spec §2.9), so its shell runs them into the next message; the seed
 * shows each on its own line, so a line is also cut where a new `WARNING: ` or `ERROR: ` starts.
 */
export function splitHintLines(hintMessage: string): string[] {
  return hintMessage
    .split(/\r?\n/)
    .flatMap((line) => line.split(/(?=(?:WARNING|ERROR): )/))
    .filter((line) => line.trim() !== '');
}

/** `Recover result: X`, then the hint lines between separators when there are any. */
export function recoverResultLines(err: ErrorCode, hintMessage: string): string[] {
  const hints = splitHintLines(hintMessage);
  const lines = [`Recover result: ${err}`];
  if (hints.length > 0) lines.push(RECOVER_SEPARATOR, ...hints, RECOVER_SEPARATOR);
  return lines;
}

/**
 * No answer before the wait ran out. Pegasus prints its one line; the meta keeps working on the
 * request, so we also say how to find out what happened.
 */
export function recoverTimeoutLines(waitSeconds: number): string[] {
  return [
    'Wait recovery failed, administrator should check the meta for progress',
    `The outcome is unknown: no answer within ${waitSeconds} seconds, and the meta server may still finish the recovery.`,
    'Check it with "ls" (the tables are listed once recovery succeeded) and read the meta server\'s log.',
  ];
}

/** The request never reached a meta server (definite: nothing happened). */
export function recoverUnreachableLines(err: ErrorCode, detail: string): string[] {
  return [`Recover failed, error=${err}: ${detail}`];
}
