// The bench tool: `node --import tsx bench/main.ts --app_name temp -t fillseq_pegasus -n 10000`.
// Prints Pegasus's header and, per benchmark, its statistics (pegasus-spec §6.3); exits 1 on an
// option error or when an operation still fails after the client's retries.

import process from 'node:process';
import { parseMetaList, PegasusClient } from '../packages/client/src/index.ts';
import type { BenchOptions } from './options.ts';
import { parseBenchArgs } from './options.ts';
import { runBenchmark } from './runner.ts';
import { headerLines, reportLines } from './stats.ts';

const out = (line: string) => process.stdout.write(`${line}\n`);
// `... | head` closing the pipe is not a failure of the benchmark (the shell's main.ts does the same).
process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Pegasus's progress steps (statistics.cpp report_step), only when stderr is a terminal. */
function _progressReporter(): ((done: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let nextReport = 100;
  return (done) => {
    if (done < nextReport) return;
    const steps: [number, number][] = [[1000, 100], [5000, 500], [10000, 1000], [50000, 5000], [100000, 10000], [500000, 50000]];
    nextReport += steps.find(([below]) => nextReport < below)?.[1] ?? 100000;
    process.stderr.write(`... finished ${done} ops\r`);
  };
}

async function _run(options: BenchOptions): Promise<number> {
  const metaList = parseMetaList(options.cluster);
  if (!metaList.ok) {
    err(`ERROR: ${metaList.message}`);
    return 1;
  }
  const client = new PegasusClient(metaList.servers, { opTimeoutMs: options.timeoutMs });
  try {
    const opened = await client.openTable(options.appName);
    if (opened.err !== 'ERR_OK') {
      err(`ERROR: open app ${options.appName} failed, error=${opened.err}: ${opened.detail}`);
      return 1;
    }
    for (const line of headerLines(options)) out(line);
    for (const type of options.types) {
      const outcome = await runBenchmark(opened.table, type, options, _progressReporter());
      if (!outcome.ok) {
        const { op, err: code, detail } = outcome.failure;
        err(`${op} returned an error: ${code}${detail ? ` (${detail})` : ''}`);
        return 1;
      }
      for (const line of reportLines(outcome.result)) out(line);
      if (outcome.valueMismatches > 0) err(`WARNING: ${outcome.valueMismatches} of ${outcome.found} values found differ from what a fill with --value_size ${options.valueSize} writes`);
    }
    return 0;
  } finally {
    client.close();
  }
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (!parsed.ok) {
    (parsed.help ? out : err)(parsed.message);
    return parsed.help ? 0 : 1;
  }
  return _run(parsed.options);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`ERROR: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  },
);
