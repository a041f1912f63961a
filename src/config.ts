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
  /**
   * How long a dispatcher's claim holds an event before another instance (or this one after a
   * restart) may take it again. Must exceed the timeout: a live delivery must never lose its lease.
   */
  webhookLeaseMs: number;
  /** Deliveries in flight at once per instance, and per target (one partner or channel URL). */
  webhookConcurrency: number;
  webhookPerTargetConcurrency: number;
  /** Delivered and failed events (and their attempts) are deleted after this many days. */
  webhookRetentionDays: number;
  /**
   * A message's content (text, caption, location, contacts…) is removed after this many days; its
   * row stays for usage and status history (messaging/content-retention.ts). null: kept forever.
   */
  messageContentRetentionDays: number | null;
  /** Attempts slower than this are counted as slow (the seeds ask receivers for < 80 ms). */
  webhookSlowMs: number;
  /** Sandbox: delays from a send's acceptance to its sent / delivered / read statuses. */
  sandboxStatusDelays: { sent: number; delivered: number; read: number };
  /**
   * Sandbox: what a simulated user does when the business calls them (OPENWABA_SANDBOX_CALL_ANSWER):
   * answer or decline after `ms`, or never by themselves (the call rings until the sandbox phone or
   * POST /sandbox/v1/calls/{id}/accept|terminate answers it, or the ring time runs out).
   */
  sandboxCallAnswer: { action: 'answer' | 'decline' | 'never'; ms: number };
  /** Messages per second a channel may send unless set per channel (up to 1,000). */
  defaultThroughputMps: number;
  /** strict: the seed's rules for channel webhook URLs (https, no _, no port, public host); local also allows http, ports, loopback. */
  webhookUrlPolicy: 'strict' | 'local';
  /** Where uploaded media is stored. */
  dataDir: string;
  /** Sandbox: how long a new template waits before it is approved (or rejected). */
  templateReviewMs: number;
  /** Integrated Onboarding: how long a new channel stays setting_up (submitted) before it is ready. */
  onboardingSetupDelayMs: number;
  /** Run the webhook dispatcher in this process. */
  dispatcher: boolean;
  /** Apply the Partner API's documented rate limits (partner-api/rate-limits.ts). */
  partnerRateLimits: boolean;
  /** Create and print a demo tenant on the first start of an empty database. */
  demo: boolean;
  /** Meta's Graph API (network/meta): base URL without version, and the version sent to. */
  metaGraphUrl: string;
  metaGraphVersion: string;
  /**
   * Meta's media CDN (lookaside): where downloads of Meta's media go, the origin that GET
   * /{media_id} swaps for the public URL, as 360dialog does.
   */
  metaMediaUrl: string;
  /**
   * Where the `url` answered by GET /{media_id} points (OPENWABA_MEDIA_URL_BASE): the public URL by
   * default, so that a client downloads it as it is (Meta's Cloud API clients do); or
   * https://lookaside.fbsbx.com, as 360dialog answers (reference: "url points to
   * lookaside.fbsbx.com"), for clients that swap that origin for their own base URL as 360dialog's
   * docs tell them to, some by cutting the prefix off (WABA360Dialog.NET): the path and query are
   * openwaba's download path either way. No trailing slash. Unset: the public URL, read when the
   * URL is made (a server listening on port 0 learns its public URL only once it listens).
   */
  mediaUrlBase?: string;
  /**
   * 360dialog's block of GET /{media_id} after repeated errors (OPENWABA_MEDIA_GET_ERROR_BLOCK,
   * messaging/media/get-error-block.ts): `errors` 4xx answers within `windowMs` block the number's
   * GET /{media_id} for `blockMs`. null: off (the default unless NODE_ENV=production).
   */
  mediaGetErrorBlock: { errors: number; windowMs: number; blockMs: number } | null;
  /** Timeout of one request to the Graph API. */
  metaTimeoutMs: number;
  /**
   * How long the sandbox phone waits for a WhatsApp Flow's data endpoint (one request: connect,
   * answer and body), as WhatsApp waits 10 s (messaging/flows/endpoint-exchange.ts).
   */
  flowEndpointTimeoutMs: number;
  /** Meta app secret: Meta's webhooks are signed with it (X-Hub-Signature-256). Unset: they are refused. */
  metaAppSecret: string | undefined;
  /** The verify token Meta echoes when a webhook URL is registered (GET hub.verify_token). */
  metaVerifyToken: string | undefined;
  /** 32-byte key sealing stored third-party secrets (Meta access tokens). Unset: none can be stored. */
  secretKey: Buffer | undefined;
  /**
   * Meta's Embedded Signup in Integrated Onboarding (web/onboarding/embedded-signup-*.ts): set only
   * when the app id, the Facebook Login for Business configuration id, the app secret and the secret
   * key are all set (half of it is a ConfigError at start). Unset: onboarding connects sandbox numbers.
   */
  embeddedSignup: EmbeddedSignupConfig | undefined;
  production: boolean;
}

export interface EmbeddedSignupConfig {
  /** The Meta app's id (OPENWABA_META_APP_ID): FB.init's appId and the code exchange's client_id. */
  appId: string;
  /** The Facebook Login for Business configuration of the Embedded Signup (OPENWABA_META_ES_CONFIG_ID). */
  configId: string;
  /** Facebook's JavaScript SDK (OPENWABA_META_SDK_URL); the page's CSP allows scripts from its origin. */
  sdkUrl: string;
  /**
   * Origins whose WA_EMBEDDED_SIGNUP messages the page accepts, and which it may frame and connect
   * to (OPENWABA_META_ES_ORIGINS): Facebook's own unless a test stands in for Facebook.
   */
  origins: string[];
}

import { ConfigError } from './config-error.ts';
import { isIP } from 'node:net';
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

/**
 * A number of days from 1 to max, or `forever` (any case) for null. No 0: "keep nothing" would
 * remove a message's content within the hour, before a reply or a status could refer to it.
 */
function daysOrForever(env: NodeJS.ProcessEnv, name: string, def: number, max: number): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (raw.toLowerCase() === 'forever') return null;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw new ConfigError(`${name} must be a number of days from 1 to ${max}, or forever, got "${raw}"`);
  return n;
}

/** true, false, 1 or 0 (any case); unset or empty: the default; anything else is refused. */
function bool(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = raw.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new ConfigError(`${name} must be true, false, 1 or 0, got "${raw}"`);
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
  const publicUrl = (env.OPENWABA_PUBLIC_URL || `http://${displayHost(host)}:${port}`).replace(/\/+$/, '');
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError(`OPENWABA_PUBLIC_URL must be an absolute URL, got "${publicUrl}"`);
  }
  const webhookTimeoutMs = env.OPENWABA_WEBHOOK_TIMEOUT ? parseDuration(env.OPENWABA_WEBHOOK_TIMEOUT, 'OPENWABA_WEBHOOK_TIMEOUT') : 10_000;
  const webhookLeaseMs = env.OPENWABA_WEBHOOK_LEASE
    ? parseDuration(env.OPENWABA_WEBHOOK_LEASE, 'OPENWABA_WEBHOOK_LEASE')
    : Math.max(60_000, 2 * webhookTimeoutMs + 30_000);
  if (webhookLeaseMs <= webhookTimeoutMs) {
    throw new ConfigError(`OPENWABA_WEBHOOK_LEASE (${webhookLeaseMs} ms) must be longer than OPENWABA_WEBHOOK_TIMEOUT (${webhookTimeoutMs} ms)`);
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
    webhookTimeoutMs,
    webhookConnectTimeoutMs: env.OPENWABA_WEBHOOK_CONNECT_TIMEOUT
      ? parseDuration(env.OPENWABA_WEBHOOK_CONNECT_TIMEOUT, 'OPENWABA_WEBHOOK_CONNECT_TIMEOUT')
      : 5_000,
    webhookLeaseMs,
    webhookConcurrency: int(env, 'OPENWABA_WEBHOOK_CONCURRENCY', 256, 1, 10_000),
    webhookPerTargetConcurrency: int(env, 'OPENWABA_WEBHOOK_PER_TARGET_CONCURRENCY', 32, 1, 1_000),
    webhookRetentionDays: int(env, 'OPENWABA_WEBHOOK_RETENTION_DAYS', 30, 1, 3650),
    messageContentRetentionDays: daysOrForever(env, 'OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS', 30, 3650),
    webhookSlowMs: int(env, 'OPENWABA_WEBHOOK_SLOW_MS', 80, 1, 60_000),
    sandboxStatusDelays: parseStatusDelays(env.OPENWABA_SANDBOX_STATUS_DELAYS),
    sandboxCallAnswer: parseCallAnswer(env.OPENWABA_SANDBOX_CALL_ANSWER),
    defaultThroughputMps: int(env, 'OPENWABA_DEFAULT_THROUGHPUT_MPS', 80, 1, 1000),
    webhookUrlPolicy: parsePolicy(env.OPENWABA_WEBHOOK_URL_POLICY, env.NODE_ENV === 'production'),
    dataDir: path.resolve(env.OPENWABA_DATA_DIR || defaultDataDir(databaseUrl)),
    templateReviewMs: env.OPENWABA_TEMPLATE_REVIEW_DELAY ? parseDuration(env.OPENWABA_TEMPLATE_REVIEW_DELAY, 'OPENWABA_TEMPLATE_REVIEW_DELAY') : 5_000,
    onboardingSetupDelayMs: env.OPENWABA_ONBOARDING_SETUP_DELAY ? parseDuration(env.OPENWABA_ONBOARDING_SETUP_DELAY, 'OPENWABA_ONBOARDING_SETUP_DELAY') : 2_000,
    dispatcher: bool(env, 'OPENWABA_DISPATCHER', true),
    partnerRateLimits: bool(env, 'OPENWABA_PARTNER_RATE_LIMITS', true),
    demo: bool(env, 'OPENWABA_DEMO', true),
    metaGraphUrl: absoluteUrl(env.OPENWABA_META_GRAPH_URL || 'https://graph.facebook.com', 'OPENWABA_META_GRAPH_URL', env.NODE_ENV === 'production'),
    metaGraphVersion: graphVersion(env.OPENWABA_META_GRAPH_VERSION),
    metaMediaUrl: absoluteUrl(env.OPENWABA_META_MEDIA_URL || 'https://lookaside.fbsbx.com', 'OPENWABA_META_MEDIA_URL', env.NODE_ENV === 'production'),
    ...(env.OPENWABA_MEDIA_URL_BASE ? { mediaUrlBase: absoluteUrl(env.OPENWABA_MEDIA_URL_BASE, 'OPENWABA_MEDIA_URL_BASE', false) } : {}),
    mediaGetErrorBlock: parseMediaGetErrorBlock(env.OPENWABA_MEDIA_GET_ERROR_BLOCK, env.NODE_ENV === 'production'),
    metaTimeoutMs: env.OPENWABA_META_TIMEOUT ? parseDuration(env.OPENWABA_META_TIMEOUT, 'OPENWABA_META_TIMEOUT') : 15_000,
    flowEndpointTimeoutMs: flowEndpointTimeout(env.OPENWABA_FLOW_ENDPOINT_TIMEOUT),
    metaAppSecret: secretSetting(env, 'OPENWABA_META_APP_SECRET', 16),
    metaVerifyToken: secretSetting(env, 'OPENWABA_META_VERIFY_TOKEN', 16),
    secretKey: parseSecretKey(env.OPENWABA_SECRET_KEY),
    embeddedSignup: parseEmbeddedSignup(env),
    production: env.NODE_ENV === 'production',
  };
}

export const FACEBOOK_SDK_URL = 'https://connect.facebook.net/en_US/sdk.js';
export const FACEBOOK_ORIGINS = ['https://www.facebook.com', 'https://web.facebook.com'];

/**
 * Embedded Signup is on when OPENWABA_META_APP_ID and OPENWABA_META_ES_CONFIG_ID are set, and then
 * needs OPENWABA_META_APP_SECRET (the code exchange) and OPENWABA_SECRET_KEY (the token and the
 * number's PIN are kept sealed): one without the others is refused here, not at a client's first
 * onboarding. The SDK URL and origins are checked even when it is off (a typo should not wait).
 */
function parseEmbeddedSignup(env: NodeJS.ProcessEnv): EmbeddedSignupConfig | undefined {
  const production = env.NODE_ENV === 'production';
  const sdkUrl = sdkUrlSetting(env.OPENWABA_META_SDK_URL, production);
  const origins = originsSetting(env.OPENWABA_META_ES_ORIGINS, production);
  const appId = metaIdSetting(env, 'OPENWABA_META_APP_ID');
  const configId = metaIdSetting(env, 'OPENWABA_META_ES_CONFIG_ID');
  if (appId === undefined && configId === undefined) return undefined;
  const missing = [
    appId === undefined ? 'OPENWABA_META_APP_ID' : undefined,
    configId === undefined ? 'OPENWABA_META_ES_CONFIG_ID' : undefined,
    env.OPENWABA_META_APP_SECRET ? undefined : 'OPENWABA_META_APP_SECRET',
    env.OPENWABA_SECRET_KEY ? undefined : 'OPENWABA_SECRET_KEY',
  ].filter((n): n is string => n !== undefined);
  if (missing.length > 0) {
    const set = appId !== undefined ? 'OPENWABA_META_APP_ID' : 'OPENWABA_META_ES_CONFIG_ID';
    throw new ConfigError(
      `Meta Embedded Signup is half configured: ${set} is set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not. ` +
        'It needs the app id, the Embedded Signup configuration id, the app secret and OPENWABA_SECRET_KEY; unset OPENWABA_META_APP_ID and OPENWABA_META_ES_CONFIG_ID to onboard sandbox numbers instead',
    );
  }
  return { appId: appId!, configId: configId!, sdkUrl, origins };
}

/** Meta's ids (an app, a login configuration) are decimal digits. */
function metaIdSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{5,32}$/.test(raw)) throw new ConfigError(`${name} must be Meta's numeric id (5 to 32 digits), got "${raw.slice(0, 40)}"`);
  return raw;
}

function sdkUrlSetting(raw: string | undefined, production: boolean): string {
  if (raw === undefined || raw === '') return FACEBOOK_SDK_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`OPENWABA_META_SDK_URL must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`OPENWABA_META_SDK_URL must be an absolute http(s) URL, got "${raw}"`);
  if (url.username || url.password || /["'<>\s]/.test(raw)) throw new ConfigError(`OPENWABA_META_SDK_URL must be a plain URL without credentials, got "${raw}"`);
  if (production && url.protocol !== 'https:') throw new ConfigError(`OPENWABA_META_SDK_URL must be https when NODE_ENV=production, got "${raw}"`);
  return url.href;
}

/** A comma-separated list of origins (scheme, host, optional port; nothing else). */
function originsSetting(raw: string | undefined, production: boolean): string[] {
  if (raw === undefined || raw.trim() === '') return [...FACEBOOK_ORIGINS];
  const out: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== item.replace(/\/$/, '')) {
      throw new ConfigError(`OPENWABA_META_ES_ORIGINS: "${item}" is not an origin (https://host[:port], without path, query or credentials)`);
    }
    if (production && url.protocol !== 'https:') throw new ConfigError(`OPENWABA_META_ES_ORIGINS: "${item}" must be https when NODE_ENV=production`);
    if (!out.includes(url.origin)) out.push(url.origin);
  }
  if (out.length === 0) throw new ConfigError('OPENWABA_META_ES_ORIGINS must name at least one origin');
  return out;
}

function absoluteUrl(raw: string, name: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  // Paths are appended to it: a query, a fragment or credentials would swallow or redirect them.
  if (url.search || url.hash || url.username || url.password || raw.includes('?') || raw.includes('#')) {
    throw new ConfigError(`${name} must be a base URL without credentials, query or fragment, got "${raw}"`);
  }
  if (production && url.protocol !== 'https:') throw new ConfigError(`${name} must be https when NODE_ENV=production (the access token travels with every request), got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** A Graph API version such as v23.0 (Meta keeps each for about two years; clients' own versions are not forwarded). */
function graphVersion(raw: string | undefined): string {
  if (raw === undefined || raw === '') return 'v23.0';
  if (!/^v\d{1,3}\.\d{1,3}$/.test(raw)) throw new ConfigError(`OPENWABA_META_GRAPH_VERSION must look like v23.0, got "${raw}"`);
  return raw;
}

function secretSetting(env: NodeJS.ProcessEnv, name: string, minLength: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength) throw new ConfigError(`${name} must be at least ${minLength} characters`);
  return raw;
}

/** 32 bytes, written as 64 hex digits or in base64 (44 characters with padding, 43 without). */
function parseSecretKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === '') return undefined;
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(raw)) key = Buffer.from(raw, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) key = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!key || key.length !== 32) {
    throw new ConfigError('OPENWABA_SECRET_KEY must be 32 random bytes as 64 hex digits or base64 (e.g. the output of `openssl rand -hex 32`)');
  }
  return key;
}

/** How a listening address is written in a URL: a wildcard as localhost, an IPv6 address in brackets. */
export function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The directory that holds a SQLite database file, or undefined for PostgreSQL / in-memory. */
export function sqliteFile(databaseUrl: string): string | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined;
  const p = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  if (p === ':memory:' || p === '') return ':memory:';
  return path.resolve(p);
}

/**
 * true/false (also 1/0, any case), or the proxies to trust: a comma-separated list of addresses,
 * CIDR ranges and the names loopback, linklocal, uniquelocal (what Fastify's trustProxy takes).
 * Anything else is a ConfigError here, not a TypeError from deep inside the first request.
 */
function parseTrustProxy(raw: string | undefined): boolean | string {
  const v = raw?.trim() ?? '';
  if (v === '' || /^(false|0)$/i.test(v)) return false;
  if (/^(true|1)$/i.test(v)) return true;
  for (const item of v.split(',').map((s) => s.trim())) {
    const [addr, prefix, extra] = item.split('/');
    const family = isIP(addr ?? '');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(item);
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!named && (family === 0 || !prefixOk || extra !== undefined)) {
      throw new ConfigError(`OPENWABA_TRUST_PROXY: "${item}" is neither true/false nor an address, CIDR range or loopback/linklocal/uniquelocal`);
    }
  }
  return v;
}

/** `1s` or `answer=1s` (the default), `decline=2s`, or `never`: what a simulated user does when called. */
export function parseCallAnswer(raw: string | undefined, name = 'OPENWABA_SANDBOX_CALL_ANSWER'): { action: 'answer' | 'decline' | 'never'; ms: number } {
  const v = (raw ?? '').trim();
  if (!v) return { action: 'answer', ms: 1_000 };
  if (v === 'never') return { action: 'never', ms: 1_000 };
  const m = /^(?:(answer|decline)\s*=\s*)?(.+)$/.exec(v)!;
  const action = (m[1] ?? 'answer') as 'answer' | 'decline';
  const ms = parseDuration(m[2]!, name);
  return { action, ms };
}

/** `sent=100ms,delivered=200ms,read=400ms`: each a delay after acceptance; they must increase. */
function parseStatusDelays(raw: string | undefined): { sent: number; delivered: number; read: number } {
  const out = { sent: 1_000, delivered: 3_000, read: 6_000 };
  if (!raw) return out;
  for (const part of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(sent|delivered|read)\s*=\s*(.+)$/.exec(part);
    if (!m) throw new ConfigError(`OPENWABA_SANDBOX_STATUS_DELAYS: "${part}" is not status=delay (sent, delivered, read)`);
    out[m[1] as keyof typeof out] = parseDuration(m[2]!, 'OPENWABA_SANDBOX_STATUS_DELAYS');
  }
  if (!(out.sent <= out.delivered && out.delivered <= out.read)) {
    throw new ConfigError('OPENWABA_SANDBOX_STATUS_DELAYS: sent <= delivered <= read is required');
  }
  return out;
}

/** A WhatsApp Flow endpoint's timeout: WhatsApp's 10 s unless set, from 1 ms to 60 s. */
function flowEndpointTimeout(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 10_000;
  const ms = parseDuration(raw, 'OPENWABA_FLOW_ENDPOINT_TIMEOUT');
  if (ms < 1 || ms > 60_000) throw new ConfigError(`OPENWABA_FLOW_ENDPOINT_TIMEOUT must be between 1ms and 60s, got "${raw}"`);
  return ms;
}

/**
 * OPENWABA_MEDIA_GET_ERROR_BLOCK: `off`, `on` (360dialog's 20 errors in 60 min block for 30 min,
 * reference §4.4), or `<errors>/<window>/<block>` such as `20/60m/30m`. Unset: on when
 * NODE_ENV=production (a gateway behaves as 360dialog does), off otherwise (a developer's failing
 * loop locally should show its errors, not a block).
 */
function parseMediaGetErrorBlock(raw: string | undefined, production: boolean): Config['mediaGetErrorBlock'] {
  const name = 'OPENWABA_MEDIA_GET_ERROR_BLOCK';
  const documented = { errors: 20, windowMs: 60 * 60_000, blockMs: 30 * 60_000 };
  const v = raw?.trim().toLowerCase();
  if (v === undefined || v === '') return production ? documented : null;
  if (v === 'off') return null;
  if (v === 'on') return documented;
  const m = /^(\d+)\s*\/\s*([^/]+?)\s*\/\s*([^/]+?)$/.exec(v);
  if (!m) throw new ConfigError(`${name} must be off, on, or errors/window/block like 20/60m/30m, got "${raw}"`);
  const errors = Number(m[1]);
  if (!(errors >= 1 && errors <= 100_000)) throw new ConfigError(`${name}: the number of errors must be between 1 and 100000, got "${m[1]}"`);
  const windowMs = parseDuration(m[2]!, name);
  const blockMs = parseDuration(m[3]!, name);
  if (windowMs < 1 || blockMs < 1) throw new ConfigError(`${name}: the window and the block must be longer than 0, got "${raw}"`);
  return { errors, windowMs, blockMs };
}

function parsePolicy(raw: string | undefined, production: boolean): 'strict' | 'local' {
  if (raw === undefined || raw === '') return production ? 'strict' : 'local';
  if (raw !== 'strict' && raw !== 'local') throw new ConfigError(`OPENWABA_WEBHOOK_URL_POLICY must be strict or local, got "${raw}"`);
  return raw;
}

/** Next to the SQLite file, or ./data for PostgreSQL. */
function defaultDataDir(databaseUrl: string): string {
  const file = sqliteFile(databaseUrl);
  return file && file !== ':memory:' ? path.dirname(file) : './data';
}
