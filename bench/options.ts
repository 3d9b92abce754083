// Command-line options of the bench tool. Both spellings are accepted: the seed's old db_bench
// style (`-t fillseq_pegasus -n 10000`) and today's run.sh bench (`--type ... --num ...`)
// (pegasus-spec §6.3; docs/decisions.md).

import { APP_NAME_CHARS, isValidAppName } from '../packages/proto/src/index.ts';

export const BENCH_TYPES = ['fillseq_pegasus', 'fillrandom_pegasus', 'readrandom_pegasus', 'deleterandom_pegasus'] as const;
export type BenchType = (typeof BENCH_TYPES)[number];

export type BenchOptions = {
  appName: string;
  types: BenchType[];
  /** Operations per thread. */
  num: number;
  threadNum: number;
  hashkeySize: number;
  sortkeySize: number;
  valueSize: number;
  cluster: string;
  /** Overall deadline of one operation, retries included (ms). */
  timeoutMs: number;
  seed: number;
};

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  appName: 'temp',
  types: ['fillseq_pegasus', 'readrandom_pegasus'],
  num: 10000,
  threadNum: 1,
  hashkeySize: 16,
  sortkeySize: 16,
  valueSize: 100,
  cluster: '127.0.0.1:34601,127.0.0.1:34602,127.0.0.1:34603',
  // Pegasus's bench uses 1000 ms per attempt with up to 3 attempts on timeout; our client retries
  // inside one deadline instead, through primary switches, so the deadline is longer.
  timeoutMs: 10000,
  seed: 1000,
};

export const BENCH_USAGE = `usage: bench/main.ts [options]
  --app_name <name>          table to use (default temp)
  -t, --type <list>          comma-separated, run in order: ${BENCH_TYPES.join(', ')}
                             (default fillseq_pegasus,readrandom_pegasus)
  -n, --num <n>              operations per thread (default 10000)
  --thread_num <n>           concurrent workers (default 1)
  --hashkey_size <bytes>     (default 16)
  --sortkey_size <bytes>     (default 16)
  --value_size <bytes>       (default 100)
  --cluster <list>           meta servers (default 127.0.0.1:34601,127.0.0.1:34602,127.0.0.1:34603)
  --timeout <ms>             deadline of one operation, retries included (default 10000)
  --seed <n>                 random seed; 0 means 1000 (default 1000)
  -h, --help`;

/** Option name -> field, for the numeric options (all positive integers, seed may be 0). */
const NUMERIC: Record<string, keyof BenchOptions> = {
  '-n': 'num',
  '--num': 'num',
  '--thread_num': 'threadNum',
  '--hashkey_size': 'hashkeySize',
  '--sortkey_size': 'sortkeySize',
  '--value_size': 'valueSize',
  '--timeout': 'timeoutMs',
  '--seed': 'seed',
};

export type ParseBenchResult = { ok: true; options: BenchOptions } | { ok: false; message: string; help?: boolean };

export function parseBenchArgs(argv: readonly string[]): ParseBenchResult {
  const options: BenchOptions = { ...DEFAULT_BENCH_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].startsWith('--') ? argv[i].indexOf('=') : -1;
    const name = eq >= 0 ? argv[i].slice(0, eq) : argv[i];
    if (name === '-h' || name === '--help') return { ok: false, message: BENCH_USAGE, help: true };
    if (!_knownOption(name)) return { ok: false, message: `ERROR: unknown option "${argv[i]}"\n${BENCH_USAGE}` };
    let value: string;
    if (eq >= 0) value = argv[i].slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else return { ok: false, message: `ERROR: option "${name}" needs a value\n${BENCH_USAGE}` };
    const problem = _apply(options, name, value);
    if (problem) return { ok: false, message: `ERROR: ${problem}` };
  }
  const problem = checkKeySizes(options);
  return problem ? { ok: false, message: `ERROR: ${problem}` } : { ok: true, options };
}

function _knownOption(name: string): boolean {
  return name in NUMERIC || ['-t', '--type', '--app_name', '--cluster'].includes(name);
}

/** Set one option; returns what is wrong with the value, if anything. */
function _apply(options: BenchOptions, name: string, value: string): string | undefined {
  if (name === '--app_name') {
    if (!isValidAppName(value)) return `invalid app name "${value}": only ${APP_NAME_CHARS} are valid`;
    options.appName = value;
  } else if (name === '--cluster') {
    options.cluster = value;
  } else if (name === '-t' || name === '--type') {
    const types = value.split(',').filter((t) => t !== '');
    const unknown = types.find((t) => !(BENCH_TYPES as readonly string[]).includes(t));
    if (unknown !== undefined) return `unknown benchmark type "${unknown}" (known: ${BENCH_TYPES.join(', ')})`;
    if (types.length === 0) return `no benchmark type in "${value}"`;
    options.types = types as BenchType[];
  } else {
    const field = NUMERIC[name];
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    const min = field === 'seed' ? 0 : 1;
    if (!Number.isSafeInteger(n) || n < min) return `invalid value "${value}" for ${name}: expected an integer >= ${min}`;
    (options[field] as number) = field === 'seed' && n === 0 ? 1000 : n; // Pegasus: seed 0 means 1000.
  }
  return undefined;
}

/** Keys are zero-padded numbers, so the key sizes must hold the largest index. */
export function checkKeySizes(options: BenchOptions): string | undefined {
  const digits = String(options.num * options.threadNum - 1).length;
  if (options.hashkeySize < digits) return `--hashkey_size ${options.hashkeySize} is too small for ${options.num * options.threadNum} keys (needs ${digits})`;
  if (options.sortkeySize < digits) return `--sortkey_size ${options.sortkeySize} is too small for ${options.num * options.threadNum} keys (needs ${digits})`;
  return undefined;
}
