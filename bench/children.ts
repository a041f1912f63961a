// What the benchmarks share: autocannon's few typed parts, and target processes (the server under
// test, a baseline) forked from the bench's own file, each answering {port} once listening,
// reporting its CPU time on 'cpu' and stopping on 'stop'.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

// ---------------------------------------------------------------------------------------------
// autocannon (CommonJS, untyped): the few parts used here.
export interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AcRequest, context: Record<string, unknown>) => AcRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
export interface AcHistogram {
  average: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
export interface AcResult {
  requests: AcHistogram & { total: number; sent: number };
  latency: AcHistogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  resets: number;
  statusCodeStats: Record<string, { count: number }>;
}
export const autocannon = createRequire(import.meta.url)('autocannon') as (opts: {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  requests: AcRequest[];
}) => Promise<AcResult>;

// ---------------------------------------------------------------------------------------------
// Children: each answers {port} once listening, its CPU time on 'cpu', and stops on 'stop'.

export function onStop(stop: () => Promise<void>): void {
  process.on('message', (m) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
    if (m === 'stop') {
      // process.exit (not a natural exit) lets --cpu-prof write its profile.
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.on('disconnect', () => process.exit(0));
}

export class Child {
  private constructor(
    private readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  /** Forks `script` (a bench file) with `role` as its argument. */
  static async start(script: string, role: string, env: NodeJS.ProcessEnv, execArgv: string[] = []): Promise<Child> {
    const proc = fork(script, [role], {
      env,
      execArgv: ['--import', 'tsx', ...execArgv],
      // The server's request log goes where a real deployment's would: a sink we do not read.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      proc.once('message', (m) => resolve((m as { port: number }).port));
      proc.once('exit', (code) => reject(new Error(`${role} child exited (${code}) before listening`)));
    });
    return new Child(proc, `http://127.0.0.1:${port}`);
  }

  /** CPU time (user + system) the child has used so far, in ms. */
  async cpuMs(): Promise<number> {
    const got = new Promise<NodeJS.CpuUsage>((r) => {
      const on = (m: unknown) => {
        if (m && typeof m === 'object' && 'cpu' in m) {
          this.proc.off('message', on);
          r((m as { cpu: NodeJS.CpuUsage }).cpu);
        }
      };
      this.proc.on('message', on);
    });
    this.proc.send('cpu');
    const u = await got;
    return (u.user + u.system) / 1000;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.send('stop');
    await exited;
  }
}
