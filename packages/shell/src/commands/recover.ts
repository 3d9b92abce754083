// `recover`: send start_recovery with a list of replica servers and print the outcome
// (pegasus-spec §5.1: Pegasus src/shell/commands/recovery.cpp + replication_ddl_client::do_recovery;
// seed step 5). Option checks and their messages follow Pegasus's order exactly.

import { readFile, writeFile } from 'node:fs/promises';
import type { ErrorCode, NodeAddress } from '../../../proto/src/index.ts';
import { getopt, type OptionSpec, parseInt32 } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { dropDuplicateNodes, type NodeListResult, parseNodeListFile, parseNodeListStr, resolveNodeEntries } from '../node_list.ts';
import { recoverHeaderLines, type RecoverOptions, recoverResultLines, recoverTimeoutLines, recoverUnreachableLines } from '../recover_report.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'f', long: 'node_list_file', takesValue: true },
  { short: 's', long: 'node_list_str', takesValue: true },
  { short: 'w', long: 'wait_seconds', takesValue: true },
  { short: 'b', long: 'skip_bad_nodes', takesValue: false },
  { short: 'l', long: 'skip_lost_partitions', takesValue: false },
  { short: 'o', long: 'output', takesValue: true },
];

export const RECOVER_USAGE =
  '[-f|--node_list_file file_name] [-s|--node_list_str str] [-w|--wait_seconds num] [-b|--skip_bad_nodes] [-l|--skip_lost_partitions] [-o|--output file_name]';

export type RecoverArgs = RecoverOptions & { source: { file: string } | { str: string }; output: string | undefined };

/** Check the options; `usage` says whether Pegasus follows the message with the usage line. */
export function parseRecoverArgs(args: readonly string[]): { ok: true; value: RecoverArgs } | { ok: false; message: string; usage: boolean } {
  const parsed = getopt(args, OPTIONS);
  if (!parsed.ok) return { ok: false, message: parsed.message, usage: true };
  if (parsed.positionals.length > 0) return { ok: false, message: `unexpected argument '${parsed.positionals[0]}'`, usage: true };
  const o = parsed.options;
  let waitSeconds = 100;
  const waitText = o.get('wait_seconds');
  if (typeof waitText === 'string') {
    const n = parseInt32(waitText);
    if (n === undefined) return { ok: false, message: `parse ${waitText} as wait_seconds failed`, usage: true };
    waitSeconds = n;
  }
  if (waitSeconds <= 0) return { ok: false, message: `invalid wait_seconds ${waitSeconds}, should be positive number`, usage: true };
  // Pegasus tests for "given" with empty(): `-f ''` counts as not given.
  const file = typeof o.get('node_list_file') === 'string' ? (o.get('node_list_file') as string) : '';
  const str = typeof o.get('node_list_str') === 'string' ? (o.get('node_list_str') as string) : '';
  if (file === '' && str === '') return { ok: false, message: 'should specify one of node_list_file/node_list_str', usage: true };
  if (file !== '' && str !== '') return { ok: false, message: 'should only specify one of node_list_file/node_list_str', usage: true };
  const output = typeof o.get('output') === 'string' ? (o.get('output') as string) : undefined;
  return {
    ok: true,
    value: {
      waitSeconds,
      skipBadNodes: o.has('skip_bad_nodes'),
      skipLostPartitions: o.has('skip_lost_partitions'),
      source: file !== '' ? { file } : { str },
      output: output === '' ? undefined : output,
    },
  };
}

export async function recover(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = parseRecoverArgs(args);
  if (!parsed.ok) {
    ctx.io.err(parsed.message);
    return parsed.usage ? 'usage' : 'failed';
  }
  const request = parsed.value;
  const nodes = await _loadNodes(ctx, request.source);
  if (nodes === undefined) return 'failed';
  const report: string[] = [];
  const err = await _doRecovery(ctx, request, nodes, report);
  if (request.output === undefined) {
    printLines(ctx, report);
  } else {
    try {
      await writeFile(request.output, report.map((line) => `${line}\n`).join(''));
    } catch (e) {
      ctx.io.err(`write file ${request.output} failed: ${(e as Error).message}`);
      return 'failed';
    }
    ctx.io.out(`recover complete with err = ${err}`);
  }
  return err === 'ERR_OK' ? 'ok' : 'failed';
}

/** Read, parse and resolve the node list; undefined after printing the problem (stderr). */
async function _loadNodes(ctx: ShellContext, source: RecoverArgs['source']): Promise<NodeAddress[] | undefined> {
  let parsed: NodeListResult;
  if ('file' in source) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch {
      ctx.io.err(`open file ${source.file} failed`);
      return undefined;
    }
    parsed = parseNodeListFile(text, source.file);
  } else {
    parsed = parseNodeListStr(source.str);
  }
  if (!parsed.ok) {
    ctx.io.err(parsed.message);
    return undefined;
  }
  const resolved = await resolveNodeEntries(parsed.entries, 'file' in source ? source.file : undefined, ctx.lookupIpv4);
  if (!resolved.ok) {
    ctx.io.err(resolved.message);
    return undefined;
  }
  return resolved.nodes;
}

/** The client part (do_recovery): dedupe, print the header, ask the meta, print the answer into `report`. */
async function _doRecovery(ctx: ShellContext, request: RecoverArgs, nodes: NodeAddress[], report: string[]): Promise<ErrorCode> {
  const unique = dropDuplicateNodes(nodes);
  report.push(...unique.messages);
  if (unique.nodes.length === 0) {
    report.push('node set for recovery it empty');
    return 'ERR_INVALID_PARAMETERS';
  }
  report.push(...recoverHeaderLines(request, unique.nodes));
  // Printed to stdout before the wait, as Pegasus does, so an operator sees what is being asked.
  if (request.output === undefined) printLines(ctx, report.splice(0));
  const progress = _startProgress(ctx);
  const reply = await ctx.meta.call(
    'start_recovery',
    { recovery_nodes: unique.nodes, skip_bad_nodes: request.skipBadNodes, skip_lost_partitions: request.skipLostPartitions },
    request.waitSeconds * 1000,
  );
  progress.stop();
  if (!reply.ok) {
    report.push(...(reply.err === 'ERR_TIMEOUT' ? recoverTimeoutLines(request.waitSeconds) : recoverUnreachableLines(reply.err, reply.detail)));
    return reply.err;
  }
  report.push(...recoverResultLines(reply.res.err, reply.res.hint_message));
  return reply.res.err;
}

/**
 * Pegasus prints `Wait recovery for N seconds` every second without an answer. We print it only at
 * a terminal, and on stderr: in a script the report on stdout stays exactly the seed's block.
 */
function _startProgress(ctx: ShellContext): { stop: () => void } {
  if (!ctx.interactive) return { stop: () => {} };
  let seconds = 0;
  const timer = setInterval(() => ctx.io.err(`Wait recovery for ${seconds++} seconds`), 1000);
  return { stop: () => clearInterval(timer) };
}
