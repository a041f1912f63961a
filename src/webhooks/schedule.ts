// The retry schedule: when the next attempt of a failed delivery is due, or that none is.
import { ConfigError } from '../config-error.ts';

/** Default: immediately, 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then every 8 h. */
export const DEFAULT_SCHEDULE_MS = [0, 5e3, 30e3, 120e3, 600e3, 1800e3, 3600e3, 7200e3, 14400e3, 28800e3];
export const DEFAULT_HORIZON_MS = 24 * 3600e3;
/** Meta keeps retrying for 7 days: our ceiling. */
const MAX_HORIZON_MS = 7 * 24 * 3600e3;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, min: 60e3, h: 3600e3, d: 86400e3 };

/** The longest duration a setting may name: a Node timer holds at most 2^31 - 1 ms (24.8 days). */
export const MAX_DURATION_MS = 24 * 86_400_000;

/** Parses `300ms`, `2s`, `1m`, `1h`, `1d`, or a bare number of seconds (at most 24d). */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(text);
  if (!m) throw new ConfigError(`${name}: "${text}" is not a duration like 300ms, 2s, 1m, 1h or 1d`);
  const ms = Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']!);
  if (!(ms <= MAX_DURATION_MS)) throw new ConfigError(`${name}: "${text}" is longer than the longest duration allowed, 24d`);
  return ms;
}

/** `0,300ms,2s,1m` → [0, 300, 2000, 60000]. The first entry is the delay of the first attempt. */
export function parseSchedule(text: string, name = 'OPENWABA_WEBHOOK_RETRY_SCHEDULE'): number[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new ConfigError(`${name} must list at least one delay`);
  const out = parts.map((p) => parseDuration(p, name));
  for (let i = 1; i < out.length; i++) {
    if (out[i]! < out[i - 1]!) throw new ConfigError(`${name}: delays must not decrease (${parts[i - 1]} then ${parts[i]})`);
  }
  return out;
}

export function parseHorizon(text: string): number {
  const ms = parseDuration(text, 'OPENWABA_WEBHOOK_RETRY_HORIZON');
  if (ms <= 0 || ms > MAX_HORIZON_MS) throw new ConfigError('OPENWABA_WEBHOOK_RETRY_HORIZON must be more than 0 and at most 7d');
  return ms;
}

/**
 * When attempt number `attemptsMade + 1` is due: the schedule lists delays between attempts;
 * past its end the last delay repeats. A receiver's Retry-After (429/503) pushes the attempt
 * later, never earlier. Undefined: it would fall after the event's deadline (its expires_at: the
 * horizon from its creation, or from a replay), and the event has failed for good.
 */
export function nextAttemptAt(
  scheduleMs: number[],
  deadlineMs: number,
  lastAttemptAtMs: number,
  attemptsMade: number,
  retryAfterMs?: number,
): number | undefined {
  const delay = scheduleMs[Math.min(attemptsMade, scheduleMs.length - 1)]!;
  const due = lastAttemptAtMs + Math.max(delay, retryAfterMs ?? 0);
  return due <= deadlineMs ? due : undefined;
}

/** Retry-After as seconds or an HTTP date → milliseconds from now (bounded to the horizon). */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
