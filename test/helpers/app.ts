// Starts the real app on a random port with a fresh database and data directory, and speaks HTTP to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { request as undiciRequest } from 'undici';
import { buildApp } from '../../src/app.ts';
import { systemClock, type Clock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDb } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import type { Deps } from '../../src/deps.ts';
import { bootstrapTenant, type BootstrapResult, type BootstrapInput } from '../../src/services/bootstrap.ts';
import { Dispatcher } from '../../src/webhooks/dispatcher.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { createTestDatabase, type DbKind, type TestDatabase } from './db.ts';

export interface HttpResponse<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Sent as JSON unless `raw` is given. */
  json?: unknown;
  raw?: string | Buffer;
  query?: Record<string, string>;
}

export class Http {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse<T>> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | Buffer | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['content-type'] ??= 'application/json';
    } else if (opts.raw !== undefined) {
      body = opts.raw;
    }
    const res = await undiciRequest(url, { method: method as 'GET', headers, body });
    const text = await res.body.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.statusCode, headers: res.headers as HttpResponse['headers'], body: parsed as T, text };
  }
  get<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('GET', path, opts);
  }
  post<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('POST', path, opts);
  }
  patch<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('PATCH', path, opts);
  }
  put<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('PUT', path, opts);
  }
  delete<T = any>(path: string, opts?: RequestOptions) {
    return this.request<T>('DELETE', path, opts);
  }
}

export interface TestApp extends Http {
  app: FastifyInstance;
  /** The running dispatcher and job scheduler when started with { dispatcher: true }. */
  dispatcher: Dispatcher | undefined;
  jobs: JobScheduler | undefined;
  deps: Deps;
  database: TestDatabase;
  /**
   * The app's data directory (uploaded media live under it): a fresh temp directory, removed by
   * close(), unless the caller gave OPENWABA_DATA_DIR (or config.dataDir) and owns it.
   */
  dataDir: string;
  /** Every log line the app wrote, as text. */
  logs: string[];
  /** A complete tenant: partner, hub user, keys, client, sandbox channel. */
  tenant(input?: BootstrapInput): Promise<BootstrapResult>;
  close(): Promise<void>;
}

export async function startTestApp(
  kind: DbKind,
  opts: { env?: Record<string, string>; clock?: Clock; config?: Partial<Config>; dispatcher?: boolean } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  // Never the default (./data beside the repo for PostgreSQL): a directory of this app's own.
  const ownDataDir = opts.env?.OPENWABA_DATA_DIR || opts.config?.dataDir ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-data-'));
  const removeDataDir = () => {
    if (ownDataDir) fs.rmSync(ownDataDir, { recursive: true, force: true });
  };
  const config: Config = {
    ...loadConfig({ DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'info', ...(ownDataDir ? { OPENWABA_DATA_DIR: ownDataDir } : {}), ...opts.env }),
    ...opts.config,
  };
  const db = openDb(config.databaseUrl);
  await migrateToLatest(db);
  const deps: Deps = { config, db, clock: opts.clock ?? systemClock };
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const app = await buildApp(deps, { logStream });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // The webhook dispatcher runs only where a test asks for it; others drive one by hand.
  const dispatcher = opts.dispatcher ? new Dispatcher(deps, { registry: app.metricsRegistry }) : undefined;
  await dispatcher?.start();
  const jobs = opts.dispatcher ? new JobScheduler(deps) : undefined;
  jobs?.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const http = new Http(`http://127.0.0.1:${port}`);
  // The app's public address is only known now; keep an explicit OPENWABA_PUBLIC_URL.
  if (!opts.env?.OPENWABA_PUBLIC_URL && !opts.config?.publicUrl) config.publicUrl = http.baseUrl;
  let closed = false;
  return Object.assign(http, {
    app,
    dispatcher,
    jobs,
    deps,
    database,
    dataDir: config.dataDir,
    logs,
    tenant: (input?: BootstrapInput) => bootstrapTenant(deps, input),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await jobs?.stop();
      await dispatcher?.stop(1000);
      await db.close();
      await database.drop();
      removeDataDir();
    },
  });
}

/** Headers for a partner API key. */
export const partnerKey = (key: string) => ({ 'x-api-key': key });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Headers for a channel API key (the Messaging API). */
export const channelKey = (key: string) => ({ 'D360-API-KEY': key });
