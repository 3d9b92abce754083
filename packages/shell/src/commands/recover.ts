// `recover`: send start_recovery with a list of replica servers and print the outcome
// (pegasus-spec §5.1: Pegasus src/shell/commands/recovery.cpp + replication_ddl_client::do_recovery;
// seed step 5). Option checks and their messages follow Pegasus's order exactly.

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { MetaReply } from '../../../client/src/index.ts';
import type {
  CollectedNode,
  ErrorCode,
  NodeAddress,
  QueryRecoveryStatusResponse,
  RecoveryPlan,
  RecoveryStage,
  StartRecoveryRequest,
  StartRecoveryResponse,
} from '../../../proto/src/index.ts';
import { getopt, type OptionSpec, parseInt32 } from '../args.ts';
import { type CommandStatus, printLines, type ShellContext } from '../context.ts';
import { dropDuplicateNodes, type NodeListResult, parseNodeListFile, parseNodeListStr, resolveNodeEntries } from '../node_list.ts';
import { formatPlanLines, notRebuiltLines } from '../format_plan.ts';
import { recoverHeaderLines, type RecoverOptions, recoverResultLines, recoverTimeoutLines, recoverUnreachableLines, splitHintLines } from '../recover_report.ts';

const OPTIONS: OptionSpec[] = [
  { short: 'f', long: 'node_list_file', takesValue: true },
  { short: 's', long: 'node_list_str', takesValue: true },
  { short: 'w', long: 'wait_seconds', takesValue: true },
  { short: 'b', long: 'skip_bad_nodes', takesValue: false },
  { short: 'l', long: 'skip_lost_partitions', takesValue: false },
  { short: 'o', long: 'output', takesValue: true },
  // Our extensions (issue "Recovery an operator can trust"); long names only, Pegasus has none.
  { short: '', long: 'plan', takesValue: false },
  { short: '', long: 'apply', takesValue: true },
  { short: '', long: 'json', takesValue: false },
];

export const RECOVER_USAGE =
  '[-f|--node_list_file file_name] [-s|--node_list_str str] [-w|--wait_seconds num] [-b|--skip_bad_nodes] [-l|--skip_lost_partitions] [-o|--output file_name] [--plan] [--apply plan_file] [--json]';

/**
 * recover: the seed's one step. plan: write nothing, print (and with -o save as JSON) the plan.
 * apply: write the saved plan's result, only if the cluster still matches it.
 */
export type RecoverMode = 'recover' | 'plan' | 'apply';

export type RecoverArgs = RecoverOptions & {
  mode: RecoverMode;
  /** The node list (recover, plan); apply takes it from the plan file. */
  source: { file: string } | { str: string } | { plan: string };
  output: string | undefined;
  json: boolean;
};

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
  const output = typeof o.get('output') === 'string' ? (o.get('output') as string) : undefined;
  const applyFile = typeof o.get('apply') === 'string' ? (o.get('apply') as string) : undefined;
  const common = { waitSeconds, skipBadNodes: o.has('skip_bad_nodes'), skipLostPartitions: o.has('skip_lost_partitions'), output: output === '' ? undefined : output, json: o.has('json') };
  if (applyFile !== undefined) {
    if (o.has('plan')) return { ok: false, message: 'should only specify one of --plan/--apply', usage: true };
    const fromPlan = ['node_list_file', 'node_list_str', 'skip_bad_nodes', 'skip_lost_partitions', 'output'].filter((k) => o.has(k));
    if (fromPlan.length > 0) {
      return { ok: false, message: `--apply takes the node list and options from the plan file; remove --${fromPlan.join(', --')}`, usage: true };
    }
    if (applyFile === '') return { ok: false, message: '--apply needs the plan file saved by recover --plan -o', usage: true };
    return { ok: true, value: { ...common, mode: 'apply', source: { plan: applyFile } } };
  }
  // Pegasus tests for "given" with empty(): `-f ''` counts as not given.
  const file = typeof o.get('node_list_file') === 'string' ? (o.get('node_list_file') as string) : '';
  const str = typeof o.get('node_list_str') === 'string' ? (o.get('node_list_str') as string) : '';
  if (file === '' && str === '') return { ok: false, message: 'should specify one of node_list_file/node_list_str', usage: true };
  if (file !== '' && str !== '') return { ok: false, message: 'should only specify one of node_list_file/node_list_str', usage: true };
  return { ok: true, value: { ...common, mode: o.has('plan') ? 'plan' : 'recover', source: file !== '' ? { file } : { str } } };
}

export async function recover(ctx: ShellContext, args: string[]): Promise<CommandStatus> {
  const parsed = parseRecoverArgs(args);
  if (!parsed.ok) {
    ctx.io.err(parsed.message);
    return parsed.usage ? 'usage' : 'failed';
  }
  const request = parsed.value;
  let plan: RecoveryPlan | undefined;
  let nodes: NodeAddress[] | undefined;
  if ('plan' in request.source) {
    plan = await _loadPlan(ctx, request.source.plan);
    if (!plan) return 'failed';
    nodes = plan.node_list;
    request.skipBadNodes = plan.options.skip_bad_nodes;
    request.skipLostPartitions = plan.options.skip_lost_partitions;
  } else {
    nodes = await _loadNodes(ctx, request.source);
  }
  if (nodes === undefined) return 'failed';
  // The seed's form keeps Pegasus's report (and -o as Pegasus's report file); the others differ.
  if (request.mode === 'recover' && !request.json) return await _recoverAsPegasus(ctx, request, nodes);
  return await _recoverExtended(ctx, request, nodes, plan);
}

/** Pegasus's `recover`: the report on stdout, or in the -o file with one line on stdout. */
async function _recoverAsPegasus(ctx: ShellContext, request: RecoverArgs, nodes: NodeAddress[]): Promise<CommandStatus> {
  const report: string[] = [];
  const answer = await _doRecovery(ctx, request, nodes, report);
  if (request.output === undefined) {
    printLines(ctx, report);
  } else {
    try {
      await writeFile(request.output, report.map((line) => `${line}\n`).join(''));
    } catch (e) {
      ctx.io.err(`write file ${request.output} failed: ${(e as Error).message}`);
      return 'failed';
    }
    ctx.io.out(`recover complete with err = ${answer.err}`);
  }
  return recoverStatus(answer);
}

/**
 * --plan, --apply and --json: the same request with a mode, and a fuller report: how each node
 * answered, the plan (or, for an apply the cluster no longer matches, what changed).
 */
async function _recoverExtended(ctx: ShellContext, request: RecoverArgs, nodes: NodeAddress[], saved: RecoveryPlan | undefined): Promise<CommandStatus> {
  const unique = dropDuplicateNodes(nodes);
  if (!request.json) printLines(ctx, [...unique.messages, ...recoverHeaderLines(request, unique.nodes)]);
  if (unique.nodes.length === 0) {
    ctx.io.out('node set for recovery it empty');
    return 'failed';
  }
  if (saved && !request.json) ctx.io.out(`Apply plan: ${saved.plan_id}`);
  // The node lines lead the report on stdout, each printed as the node answers; with --json stdout
  // carries one document and nothing else.
  const reply = await _startRecovery(ctx, {
    recovery_nodes: unique.nodes,
    skip_bad_nodes: request.skipBadNodes,
    skip_lost_partitions: request.skipLostPartitions,
    mode: request.mode,
    ...(saved ? { expected_plan_id: saved.plan_id, expected_fingerprints: saved.fingerprints } : {}),
  }, request.waitSeconds * 1000, request.json ? undefined : (line) => ctx.io.out(line));
  const answer: RecoverAnswer = reply.ok ? { kind: 'answered', err: reply.res.err, hintMessage: reply.res.hint_message } : { kind: 'no_answer', err: reply.err, detail: reply.detail };
  const status = recoverStatus(answer);
  const res = reply.ok ? reply.res : undefined;
  if (request.mode === 'plan' && res?.plan && request.output !== undefined) {
    try {
      await writeFile(request.output, `${JSON.stringify(res.plan, null, 2)}\n`);
    } catch (e) {
      ctx.io.err(`write file ${request.output} failed: ${(e as Error).message}`);
      return 'failed';
    }
  }
  if (request.json) {
    ctx.io.out(JSON.stringify({
      command: `recover${request.mode === 'recover' ? '' : ` --${request.mode}`}`,
      outcome: status === 'ok' ? 'success' : status === 'failed' ? 'failure' : status,
      err: answer.err,
      hint_lines: answer.kind === 'answered' ? splitHintLines(answer.hintMessage) : [answer.detail],
      collected: res?.collected ?? [],
      ...(res?.changes ? { changes: res.changes } : {}),
      ...(res?.plan ? { plan: res.plan } : {}),
      ...(request.output !== undefined && res?.plan ? { saved_to: request.output } : {}),
    }));
    return status;
  }
  const lines: string[] = [];
  if (request.mode === 'plan' && res?.plan) {
    lines.push(...formatPlanLines(res.plan));
    if (request.output !== undefined) lines.push(`plan saved to ${request.output}; apply it with: recover --apply ${request.output}`);
  } else {
    lines.push(...(answer.kind === 'answered' ? recoverResultLines(answer.err, answer.hintMessage) : _noAnswerLines(request, answer)));
    for (const change of res?.changes ?? []) lines.push(`CHANGED: ${change}`);
    // What the recovery could not bring back, now that it is written (the plan listed it too).
    if (answer.err === 'ERR_OK') lines.push(...notRebuiltLines(res?.plan));
  }
  printLines(ctx, lines);
  return status;
}

type RecoverAnswer = { kind: 'answered'; err: ErrorCode; hintMessage: string } | { kind: 'no_answer'; err: ErrorCode; detail: string };

/**
 * The command's status, hence the script's exit code: ok; partial when the meta recovered but a
 * skip option dropped nodes or partitions; refused when the meta answered an error (definite,
 * nothing written); failed when no answer came (the outcome is unknown: see recover_status).
 */
export function recoverStatus(answer: RecoverAnswer): CommandStatus {
  if (answer.kind === 'no_answer') return 'failed';
  if (answer.err !== 'ERR_OK') return 'refused';
  const skipped = splitHintLines(answer.hintMessage).some((l) => /skip the bad node|force recover the lost partition/.test(l));
  return skipped ? 'partial' : 'ok';
}

function _noAnswerLines(request: RecoverArgs, answer: Extract<RecoverAnswer, { kind: 'no_answer' }>): string[] {
  return answer.err === 'ERR_TIMEOUT' ? recoverTimeoutLines(request.waitSeconds) : recoverUnreachableLines(answer.err, answer.detail);
}

/** A plan saved by `recover --plan -o`; undefined after printing why it cannot be used. */
async function _loadPlan(ctx: ShellContext, file: string): Promise<RecoveryPlan | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    ctx.io.err(`open file ${file} failed`);
    return undefined;
  }
  let plan: RecoveryPlan;
  try {
    plan = JSON.parse(text) as RecoveryPlan;
  } catch (e) {
    ctx.io.err(`${file} is not JSON (${(e as Error).message}); give the file saved by recover --plan -o`);
    return undefined;
  }
  const valid = typeof plan === 'object' && plan !== null && typeof plan.plan_id === 'string' && Array.isArray(plan.node_list) &&
    plan.node_list.every((n) => typeof n === 'string') && typeof plan.options === 'object' && plan.options !== null && Array.isArray(plan.fingerprints);
  if (!valid) {
    ctx.io.err(`${file} is not a recovery plan (no plan_id, node_list, options or fingerprints); give the file saved by recover --plan -o`);
    return undefined;
  }
  // An edited file: the flags go to the meta as they are, and print in the header.
  const badFlag = (['skip_bad_nodes', 'skip_lost_partitions'] as const).find((k) => typeof plan.options[k] !== 'boolean');
  if (badFlag !== undefined || typeof plan.err !== 'string') {
    const what = badFlag !== undefined ? `options.${badFlag} is ${JSON.stringify(plan.options[badFlag]) ?? 'missing'}, not true or false` : 'it has no err (the result it was made with)';
    ctx.io.err(`${file} is not a recovery plan as recover --plan -o saves it: ${what}; make a new plan`);
    return undefined;
  }
  if (plan.err !== 'ERR_OK') {
    ctx.io.err(`plan ${plan.plan_id} in ${file} cannot be applied: its result was ${plan.err} (${plan.outcome}); ${plan.next_step}, then make a new plan`);
    return undefined;
  }
  return plan;
}

/** Read, parse and resolve the node list; undefined after printing the problem (stderr). */
async function _loadNodes(ctx: ShellContext, source: { file: string } | { str: string }): Promise<NodeAddress[] | undefined> {
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
async function _doRecovery(ctx: ShellContext, request: RecoverArgs, nodes: NodeAddress[], report: string[]): Promise<RecoverAnswer> {
  const unique = dropDuplicateNodes(nodes);
  report.push(...unique.messages);
  if (unique.nodes.length === 0) {
    report.push('node set for recovery it empty');
    return { kind: 'no_answer', err: 'ERR_INVALID_PARAMETERS', detail: 'empty node list' };
  }
  report.push(...recoverHeaderLines(request, unique.nodes));
  // Printed to stdout before the wait, as Pegasus does, so an operator sees what is being asked.
  if (request.output === undefined) printLines(ctx, report.splice(0));
  // The node lines go to stderr: stdout (or the -o file) stays exactly the seed's block.
  const reply = await _startRecovery(
    ctx,
    { recovery_nodes: unique.nodes, skip_bad_nodes: request.skipBadNodes, skip_lost_partitions: request.skipLostPartitions },
    request.waitSeconds * 1000,
    (line) => ctx.io.err(line),
  );
  if (!reply.ok) {
    const answer = { kind: 'no_answer' as const, err: reply.err, detail: reply.detail };
    report.push(..._noAnswerLines(request, answer));
    return answer;
  }
  report.push(...recoverResultLines(reply.res.err, reply.res.hint_message));
  return { kind: 'answered', err: reply.res.err, hintMessage: reply.res.hint_message };
}

/**
 * Send start_recovery and wait for its answer (the collection alone can take seconds), printing
 * each node's line to `nodeLines` as it answers (undefined: none), and at a terminal Pegasus's
 * waiting lines. Every node of the answer gets its line exactly once, before this returns.
 */
async function _startRecovery(
  ctx: ShellContext,
  req: StartRecoveryRequest,
  timeoutMs: number,
  nodeLines: ((line: string) => void) | undefined,
): Promise<MetaReply<StartRecoveryResponse>> {
  // Our own mark on the attempt: the meta reports it in query_recovery_status, so another shell's
  // attempt (which makes ours ERR_BUSY) is never shown as ours.
  const token = randomUUID();
  const request: StartRecoveryRequest = { ...req, attempt_token: token };
  const nodes = nodeLines ? await _nodeProgress(ctx, nodeLines, token) : undefined;
  const waiting = _waitLines(ctx, nodes);
  let reply: MetaReply<StartRecoveryResponse> | undefined;
  try {
    reply = await ctx.meta.call('start_recovery', request, timeoutMs);
    return reply;
  } finally {
    // No timer outlives the call: a script exits as soon as its last command is done.
    waiting.stop();
    nodes?.stop(reply?.ok ? reply.res.collected : undefined);
  }
}

/** A node's line: how it answered the collection (as recover_status prints it, unindented). */
function _nodeLine(c: CollectedNode): string {
  return `node ${c.node}: ${c.err === 'ERR_OK' ? 'ok' : c.err} in ${c.latency_ms} ms`;
}

/** Deadline of one progress poll: a slow meta costs a skipped line, never a late report. */
const STATUS_POLL_DEADLINE_MS = 500;

type NodeProgress = {
  /** Nodes whose line is printed. */
  printed: Set<string>;
  /** The stage of this attempt while it runs, as the last poll saw it. */
  stage: RecoveryStage | undefined;
  /** Stop polling (a poll still in flight prints nothing), then print the reply's nodes not printed yet. */
  stop(collected?: readonly CollectedNode[]): void;
};

/**
 * The live node lines: every recoverPollMs ask the meta (query_recovery_status) which nodes have
 * answered this attempt, and print each new one through `sink`, in the order they answered. Call
 * before sending start_recovery: the status it takes first is the previous attempt's, whose nodes
 * must never be printed as this one's. A poll that fails is ignored: the reply completes the lines.
 */
async function _nodeProgress(ctx: ShellContext, sink: (line: string) => void, token: string): Promise<NodeProgress> {
  let stopped = false;
  let polling = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const progress: NodeProgress = {
    printed: new Set(),
    stage: undefined,
    stop: (collected = []) => {
      stopped = true;
      clearInterval(timer);
      // The nodes that answered after the last poll. All are asked at once, so the one that took
      // less time answered first (the reply lists them in node-list order).
      const rest = collected.filter((c) => !progress.printed.has(c.node)).sort((a, b) => a.latency_ms - b.latency_ms);
      for (const c of rest) print(c);
    },
  };
  const print = (c: CollectedNode) => {
    if (progress.printed.has(c.node)) return;
    progress.printed.add(c.node);
    sink(_nodeLine(c));
  };
  // A status with an attempt_token names its attempt: ours (`token`) or not. One without (an older
  // meta) is told apart by the start time the meta gave the previous attempt, taken here. No answer
  // to this first query: poll nothing, the reply has the lines.
  const previous = await _recoveryStatus(ctx);
  if (!previous) return progress;
  timer = setInterval(async () => {
    // One poll at a time: a meta slower than the interval gets a skipped tick, not a queue.
    if (polling) return;
    polling = true;
    const status = await _recoveryStatus(ctx);
    polling = false;
    if (stopped || !status) return;
    // Not ours: another attempt's token; or, without tokens, the previous attempt, ended or still
    // running (then ours is refused ERR_BUSY), compared with the meta's own clock only.
    if (status.attempt_token) {
      if (status.attempt_token !== token) return;
    } else if (status.started_at_ms === previous.started_at_ms && (!status.running || previous.running)) return;
    progress.stage = status.running ? status.stage : undefined;
    for (const c of status.collected) print(c);
  }, ctx.recoverPollMs);
  return progress;
}

/** The meta's recovery status, or undefined when it did not give one (unreachable, not leading, late). */
async function _recoveryStatus(ctx: ShellContext): Promise<QueryRecoveryStatusResponse | undefined> {
  try {
    const reply = await ctx.meta.call('query_recovery_status', {}, STATUS_POLL_DEADLINE_MS);
    return reply.ok && reply.res.err === 'ERR_OK' && Array.isArray(reply.res.collected) ? reply.res : undefined;
  } catch {
    return undefined; // progress only: a throw here must not become an unhandled rejection in a timer
  }
}

/**
 * Pegasus prints `Wait recovery for N seconds` every second without an answer. We print it only at
 * a terminal, and on stderr: in a script the report on stdout stays exactly the seed's block. With
 * node lines, the stage the attempt is at follows (constructing, writing: no node is answering).
 */
function _waitLines(ctx: ShellContext, nodes: NodeProgress | undefined): { stop: () => void } {
  if (!ctx.interactive) return { stop: () => {} };
  let seconds = 0;
  const timer = setInterval(() => {
    ctx.io.err(`Wait recovery for ${seconds++} seconds`);
    if (nodes?.stage) ctx.io.err(`  stage: ${nodes.stage}`);
  }, 1000);
  return { stop: () => clearInterval(timer) };
}
