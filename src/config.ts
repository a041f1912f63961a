// Configuration is read once, here, validated and typed. Nothing else reads process.env.
import path from 'node:path';
import { DEFAULT_HORIZON_MS, DEFAULT_SCHEDULE_MS, parseDuration, parseHorizon, parseSchedule } from './webhooks/schedule.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  logLevel: LogLevel;
  adminToken: string | undefined;
  /** Public base URL of the Messaging API, returned as `address` with channel API keys. */
  publicUrl: string;
  /** Lifetime of bearer tokens from POST /api/v2/token, in seconds. */
  tokenTtlSeconds: number;
  /** Login throttle: failures allowed per username / per address inside the window. */
  loginMaxFailures: number;
  loginWindowSeconds: number;
  /** Trust X-Forwarded-For from these proxies (Fastify's trustProxy): false, true, or a list. */
  trustProxy: boolean | string;
  /** Webhook delivery: delays between attempts (first = delay of the first attempt). */
  webhookRetryScheduleMs: number[];
  /** Webhook delivery: how long after its creation an event is still retried. */
  webhookRetryHorizonMs: number;
  webhookTimeoutMs: number;
  webhookConnectTimeoutMs: number;
  /** Deliveries in flight at once per instance, and per target (one partner or channel URL). */
  webhookConcurrency: number;
  webhookPerTargetConcurrency: number;
  /** Delivered and failed events (and their attempts) are deleted after this many days. */
  webhookRetentionDays: number;
  /** Attempts slower than this are counted as slow (the seeds ask receivers for < 80 ms). */
  webhookSlowMs: number;
  /** Run the webhook dispatcher in this process. */
  dispatcher: boolean;
  /** Create and print a demo tenant on the first start of an empty database. */
  demo: boolean;
  production: boolean;
}

import { ConfigError } from './config-error.ts';
export { ConfigError };

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 8082, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/openwaba.db';
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  }
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const adminToken = env.OPENWABA_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('OPENWABA_ADMIN_TOKEN must be at least 16 characters');
  }
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const publicUrl = (env.OPENWABA_PUBLIC_URL || `http://${displayHost}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`OPENWABA_PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
  }
  return {
    port,
    host,
    databaseUrl,
    logLevel,
    adminToken,
    publicUrl,
    tokenTtlSeconds: int(env, 'OPENWABA_TOKEN_TTL_SECONDS', 86400, 60, 30 * 86400),
    loginMaxFailures: int(env, 'OPENWABA_LOGIN_MAX_FAILURES', 10, 1, 1000),
    loginWindowSeconds: int(env, 'OPENWABA_LOGIN_WINDOW_SECONDS', 900, 1, 86400),
    trustProxy: parseTrustProxy(env.OPENWABA_TRUST_PROXY),
    webhookRetryScheduleMs: env.OPENWABA_WEBHOOK_RETRY_SCHEDULE ? parseSchedule(env.OPENWABA_WEBHOOK_RETRY_SCHEDULE) : DEFAULT_SCHEDULE_MS,
    webhookRetryHorizonMs: env.OPENWABA_WEBHOOK_RETRY_HORIZON ? parseHorizon(env.OPENWABA_WEBHOOK_RETRY_HORIZON) : DEFAULT_HORIZON_MS,
    webhookTimeoutMs: env.OPENWABA_WEBHOOK_TIMEOUT ? parseDuration(env.OPENWABA_WEBHOOK_TIMEOUT, 'OPENWABA_WEBHOOK_TIMEOUT') : 10_000,
    webhookConnectTimeoutMs: env.OPENWABA_WEBHOOK_CONNECT_TIMEOUT
      ? parseDuration(env.OPENWABA_WEBHOOK_CONNECT_TIMEOUT, 'OPENWABA_WEBHOOK_CONNECT_TIMEOUT')
      : 5_000,
    webhookConcurrency: int(env, 'OPENWABA_WEBHOOK_CONCURRENCY', 256, 1, 10_000),
    webhookPerTargetConcurrency: int(env, 'OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY', 32, 1, 1_000),
    webhookRetentionDays: int(env, 'OPENWABA_WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    webhookSlowMs: int(env, 'OPENWABA_WEBHOOK_SLOW_MS', 80, 1, 60_000),
    dispatcher: env.OPENWABA_DISPATCHER !== 'false' && env.OPENWABA_DISPATCHER !== '0',
    demo: env.OPENWABA_DEMO !== 'false' && env.OPENWABA_DEMO !== '0',
    production: env.NODE_ENV === 'production',
  };
}

/** The directory that holds a SQLite database file, or undefined for PostgreSQL / in-memory. */
export function sqliteFile(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const p = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (p === ':memory:' || p === '') return ':memory:';
  return path.resolve(p);
}

function parseTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  return raw;
}
