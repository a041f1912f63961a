// Runs the real `openwaba` command (bin/openwaba.mjs) as child processes, with bounded waits.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO_ROOT, 'bin/openwaba.mjs');

/** Every child started here; killAll() ends the ones still running. */
const children = new Set<ChildProcess>();

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The child's environment: ours without anything that would change openwaba's configuration. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OPENWABA_|DATABASE_URL$|PORT$|HOST$|LOG_LEVEL$)/.test(k)) base[k] = v;
  return { ...base, LOG_LEVEL: 'warn', ...env };
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** `openwaba <args>` to completion (killed after timeoutMs). */
/** input: written to the command's standard input, which is then closed (none: no standard input). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000, input?: string): Promise<CliResult> {
  const child = track(spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] }));
  if (input !== undefined) child.stdin!.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openwaba ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** The URL the server printed as where it listens. */
  url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name); rejects after timeoutMs. */
  exited(timeoutMs?: number): Promise<number | string>;
  /** SIGKILL if still running. */
  kill(): void;
}

/** `openwaba start` with PORT=0; resolves once it prints "listening on <url>". */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = track(spawn(process.execPath, [BIN, 'start'], { cwd: REPO_ROOT, env: childEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`openwaba start printed no URL in ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs);
    const onData = () => {
      const m = /openwaba listening on (http:\/\/\S+)/.exec(out);
      if (m) done(undefined, m[1]);
    };
    const onExit = (code: number | null) => done(new Error(`openwaba start exited (${code}) before listening\n${out}\n${err}`));
    function done(e?: Error, u?: string) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (e) {
        child.kill('SIGKILL');
        reject(e);
      } else resolve(u!);
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited: (ms = 15_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`server did not exit in ${ms} ms\n${err}`)), ms).unref()),
      ]),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Kills every child still running (afterAll). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
