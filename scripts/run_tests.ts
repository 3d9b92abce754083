// The test runner behind `./run.sh test`: runs every uvu test file in its own process under Node,
// then under Deno (except the ZooKeeper backend, the multi-server `*_node_test.ts` files and the
// end-to-end tests), then the end-to-end tests alone, and ends with one line `N passed, N failed`
// summed from uvu's own counts.
//
// Test files: `packages/*/src/**/*_test.ts`, `bench/*_test.ts` and `tests/integration/*_test.ts` (unit
// and in-process integration, across packages) and
// `tests/e2e/*_test.ts` (operator sessions through run.sh; run one at a time, they share the onebox
// ports). Options: `--filter TEXT` runs only files whose path contains TEXT; `--no-deno`; `--no-e2e`.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const filter = args.includes('--filter') ? args[args.indexOf('--filter') + 1] : '';
const withDeno = !args.includes('--no-deno');
const withE2e = !args.includes('--no-e2e');

function findTests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('_test.ts')) out.push(path);
  }
  return out.sort();
}

type Outcome = { file: string; runtime: string; passed: number; failed: number; seconds: number; output: string };

function run(file: string, runtime: 'node' | 'deno', timeoutMs: number): Promise<Outcome> {
  const started = Date.now();
  const [cmd, cmdArgs] = runtime === 'node'
    ? ['node', ['--import', 'tsx', file]]
    : [join(root, 'node_modules/.bin/deno'), ['run', '-A', '--quiet', file]];
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[runner] timed out after ${timeoutMs / 1000} s\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
      let failed = Number.isNaN(total) ? 1 : total - passed - skipped;
      // A crash or non-zero exit without a failed test still counts as a failure of the file.
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ file: relative(root, file), runtime, passed: Number.isNaN(passed) ? 0 : passed, failed, seconds: (Date.now() - started) / 1000, output });
    });
  });
}

/** How uvu starts the report of a failed test: `   FAIL  "name"`. */
const UVU_FAIL_LINE = /^\s*FAIL\s+"/;

/** A file's output lines, indented under its result line. */
function quoted(lines: string[]): string {
  return lines.map((l) => `    | ${l}`).join('\n');
}

/** uvu's report from its first `FAIL` on (the assertion, its message, the stack), else the last lines; at most 80. */
function failureRecap(output: string): string[] {
  const lines = output.trimEnd().split('\n');
  const first = lines.findIndex((l) => UVU_FAIL_LINE.test(l));
  return first >= 0 ? lines.slice(first, first + 80) : lines.slice(-40);
}

/** uvu's first `FAIL "test"` line with the message under it, or the output's last line (a crash). */
function firstFailure(output: string): string {
  const lines = output.trimEnd().split('\n');
  const first = lines.findIndex((l) => UVU_FAIL_LINE.test(l));
  if (first < 0) return lines.at(-1)?.trim() || '(no output)';
  // The message and the lines after it up to the stack, joined: an e2e step's error carries the
  // run.sh output that says why (`start_onebox -r 4 exited 1:` alone did not, stop 14).
  const message: string[] = [];
  for (const l of lines.slice(first + 1)) {
    const t = l.trim();
    if (t === '') continue;
    if (t.startsWith('at ') || message.length === 8) break;
    // uvu prints a thrown Error's message, then its stack, which repeats the message.
    if (!message.includes(t)) message.push(t);
  }
  const text = message.join(' | ');
  return `${lines[first].trim()}: ${text.length > 600 ? `${text.slice(0, 597)}...` : text}`;
}

async function runAll(files: string[], runtime: 'node' | 'deno', parallel: number, timeoutMs: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++];
      const o = await run(file, runtime, timeoutMs);
      outcomes.push(o);
      console.log(`${o.failed === 0 ? 'ok  ' : 'FAIL'} ${runtime.padEnd(4)} ${o.file}  (${o.passed} passed, ${o.failed} failed, ${o.seconds.toFixed(1)} s)`);
      if (o.failed > 0) console.log(quoted(o.output.split('\n')));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return outcomes;
}

const unit = [...findTests(join(root, 'packages')), ...findTests(join(root, 'bench')), ...findTests(join(root, 'tests/integration'))].filter((f) => f.includes(filter));
const e2e = withE2e ? findTests(join(root, 'tests/e2e')).filter((f) => f.includes(filter)) : [];
// The ZooKeeper addon cannot load under Deno (docs/stack.md §3); tests that spawn Node processes
// are named *_node_test.ts.
const denoFiles = unit.filter((f) => !/zookeeper|_node_test\.ts$/.test(f));

const outcomes: Outcome[] = [];
// One pass at a time, two files at a time (2 cores): running the Node and Deno passes side by side
// saved ~10 s but made deadline-based tests flaky on a loaded machine.
outcomes.push(...await runAll(unit, 'node', 2, 120_000));
if (withDeno) outcomes.push(...await runAll(denoFiles, 'deno', 2, 120_000));
outcomes.push(...await runAll(e2e, 'node', 1, 600_000));

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
const failedFiles = outcomes.filter((o) => o.failed > 0);
// Each failed file's failures again, next to the summary: a log kept only by its tail (CI's, the
// fresh-clone check's) then still shows why a file failed, not only that it did.
for (const o of failedFiles) {
  console.log(`--- why ${o.runtime}:${o.file} failed`);
  console.log(quoted(failureRecap(o.output)));
}
// And each file's first failure on one line, last: a log cut to its last few lines keeps these.
for (const o of failedFiles) console.log(`first failure in ${o.runtime}:${o.file}: ${firstFailure(o.output)}`);
if (failedFiles.length > 0) console.log(`failed files: ${failedFiles.map((o) => `${o.runtime}:${o.file}`).join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
