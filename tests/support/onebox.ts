// Drives the onebox as an operator does: `./run.sh ...` and `./run.sh shell` with piped commands.
// Conditions are polled against a deadline and report the last output on timeout (nats.js
// nst/src/check.ts); no fixed sleeps.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export type Run = { code: number; out: string };

/** Run `./run.sh <args>`; stdout and stderr together. */
export function runSh(args: string[], input = '', timeoutMs = 300_000, env: Record<string, string> = {}): Run {
  const started = performance.now();
  const r = spawnSync(join(ROOT, 'run.sh'), args, { cwd: ROOT, input, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  // PEGASUS_TS_E2E_TIMING=1: one line per step on stderr, to see where an e2e file spends its time.
  if (process.env.PEGASUS_TS_E2E_TIMING) process.stderr.write(`[e2e] ${((performance.now() - started) / 1000).toFixed(1)} s  ${args.join(' ')}${input ? `  <<< ${input.trim().split('\n').join('; ').slice(0, 80)}` : ''}\n`);
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Start `./run.sh <args>` in the background; resolves its output (stdout and stderr) when it exits. */
export function runShInBackground(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'run.sh'), args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(input);
  });
}

/** Start `./run.sh shell` with piped commands in the background; resolves its output when it exits. */
export function shellInBackground(commands: string): Promise<Run> {
  return runShInBackground(['shell'], commands.endsWith('\n') ? commands : `${commands}\n`);
}

/**
 * `./run.sh shell` kept open: `send(line)` pipes one more command, `output()` is what it printed so
 * far, `kill()` ends it at once (SIGKILL; run.sh execs the shell, so this is the shell process
 * itself), `done` gives its output once it exits.
 */
export function startShell(): { send: (line: string) => void; output: () => string; kill: () => void; done: Promise<Run> } {
  const child = spawn(join(ROOT, 'run.sh'), ['shell'], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, out })));
  return { send: (line) => void child.stdin.write(`${line}\n`), output: () => out, kill: () => void child.kill('SIGKILL'), done };
}

/** Pipe shell commands into `./run.sh shell`. */
export function shell(commands: string, timeoutMs = 120_000): Run {
  return runSh(['shell'], commands.endsWith('\n') ? commands : `${commands}\n`, timeoutMs);
}

export function bench(args: string): Run {
  return runSh(['bench', ...args.split(' ')], '', 600_000);
}

export function benchInBackground(args: string): Promise<Run> {
  return runShInBackground(['bench', ...args.split(' ')]);
}

/** Throw with the command's output when it did not exit 0. */
export function ok(r: Run, what: string): string {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
  return r.out;
}

/** Poll `probe` until it returns true; on timeout throw with the last detail it gave. */
export async function eventually(what: string, probe: () => { done: boolean; detail: string }, timeoutMs = 120_000, intervalMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const { done, detail } = probe();
    if (done) return;
    last = detail;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last:\n${last}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every [healthy_info] row of `ls -d` has partition_count == fully_healthy. */
export function clusterHealthy(): { done: boolean; detail: string } {
  const r = shell('ls -d');
  const rows = r.out.split('\n');
  const header = rows.findIndex((l) => / fully_healthy /.test(l));
  if (header < 0) return { done: false, detail: r.out };
  const bad = rows.slice(header + 1).map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 7 && /^\d+$/.test(f[0]) && f[2] !== f[3]);
  return { done: bad.length === 0, detail: r.out };
}

export function readConfig(role: string): string {
  return readFileSync(join(ROOT, 'onebox', role, 'config.ini'), 'utf8');
}

export function sed(file: string, from: string, to: string): void {
  const path = join(ROOT, file);
  writeFileSync(path, readFileSync(path, 'utf8').split(from).join(to));
}

export function writeNodeList(name: string, nodes: string[]): string {
  const path = join(ROOT, name);
  writeFileSync(path, `# comment line\n${nodes.join('\n')}\n`);
  return path;
}

/** The onebox must not be running already: tests use its ports and directories. */
export function requireNoOnebox(): void {
  const pids = ['meta1', 'replica1'].map((r) => join(ROOT, 'onebox', r, 'pid'));
  for (const p of pids) {
    if (existsSync(p)) {
      const pid = Number(readFileSync(p, 'utf8'));
      try {
        process.kill(pid, 0);
        throw new Error(`a onebox is running (pid ${pid}); stop it with ./run.sh stop_onebox before the end-to-end tests`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  }
}

/** "(F of N found)" from a readrandom bench run. */
export function foundCount(out: string): { found: number; total: number } | undefined {
  const m = /\((\d+) of (\d+) found\)/.exec(out);
  return m ? { found: Number(m[1]), total: Number(m[2]) } : undefined;
}

/**
 * Full paths of the replica dirs whose gpid starts with `prefix` (a table id "5" or a gpid "1.0")
 * on every onebox replica server; dirs a replica server ignores at load (.err .gar .tmp .ori .bak)
 * are left out.
 */
export function replicaDirsOf(prefix: string): string[] {
  const onebox = join(ROOT, 'onebox');
  const dirs: string[] = [];
  for (const server of existsSync(onebox) ? readdirSync(onebox).filter((n) => n.startsWith('replica')) : []) {
    const reps = join(onebox, server, 'data/replica/reps');
    if (!existsSync(reps)) continue;
    for (const name of readdirSync(reps)) if (name.startsWith(`${prefix}.`) && !/\.(err|gar|tmp|ori|bak)$/.test(name)) dirs.push(join(reps, name));
  }
  return dirs;
}
