// All ids come from here. Hub ids are short, unguessable and carry a type suffix
// (…PA partner, …CL client, …CH channel, …WA WABA account), as 360dialog's do.
import { randomFillSync, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Crypto randomness drawn in blocks (as the uuid package does): one call into OpenSSL per 4 KB
// instead of one allocation and call per id, which the send and delivery paths make several of.
// Each byte is used once.
const POOL = Buffer.allocUnsafe(4096);
let poolPos = POOL.length;

/** Makes sure n unused bytes are left in the pool (n ≤ its size). */
function ensure(n: number): void {
  if (poolPos + n > POOL.length) {
    randomFillSync(POOL);
    poolPos = 0;
  }
}

/** Writes n random bytes (from the same pool) into target at offset. */
export function fillRandom(target: Buffer, offset: number, n: number): void {
  ensure(n);
  POOL.copy(target, offset, poolPos, poolPos + n);
  poolPos += n;
}

/** n characters drawn uniformly from [0-9A-Za-z] with crypto randomness. */
export function base62(n: number): string {
  let out = '';
  while (out.length < n) {
    ensure(1);
    const b = POOL[poolPos++]!;
    // 248 = 4 * 62: reject the tail to stay uniform
    if (b < 248) out += BASE62[b % 62]!;
  }
  return out;
}

// 10 base62 characters ≈ 59.5 bits: short like 360dialog's ids, far from guessable.
const HUB_ID_LENGTH = 10;

export type HubIdKind = 'partner' | 'client' | 'channel' | 'waba';
const SUFFIX: Record<HubIdKind, string> = { partner: 'PA', client: 'CL', channel: 'CH', waba: 'WA' };

export function hubId(kind: HubIdKind): string {
  return base62(HUB_ID_LENGTH) + SUFFIX[kind];
}

/** Meta-side ids (WABA external id, phone_number_id, app id) are long digit strings. */
export function digits(n: number): string {
  let s = String(randomInt(1, 10));
  while (s.length < n) s += String(randomInt(0, 10));
  return s;
}

/**
 * 16 digits below 2^53 (leading digit 1–8): an id that a client may also send as a JSON number
 * and get through a double unchanged (a larger one arrives rounded and names nothing).
 */
export function safeIntegerDigits16(): string {
  return String(randomInt(1, 9)) + digits(16).slice(1);
}

/** Ids of our own records that are not on the wire with a suffix (keys, users, events). */
export function recordId(prefix: string): string {
  return `${prefix}_${base62(16)}`;
}

/** The last millisecond a sortable id was made in, and how many were made in it (this process). */
let lastMs = 0;
let seqInMs = 0;
const SEQ_PER_MS = 62 * 62;

/**
 * A record id that sorts by creation time, and within this process by creation order: `prefix_`
 * + the milliseconds since the epoch in 8 base62 digits + a 2-digit sequence within that
 * millisecond + 8 random base62 characters (≈ 47.6 bits, so ids stay unguessable). For rows
 * written at high rates (outbox events, delivery attempts): new keys land at the end of their
 * indexes instead of on random pages, so a batch of inserts touches a few pages, not one each.
 * The order matters too: events written together (an onboarding's client_created, then
 * channel_created) are claimed and delivered in the order they were written. The clock never
 * goes back here: an earlier Date.now() (a clock step) continues from the last millisecond.
 */
export function sortableRecordId(prefix: string): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    seqInMs = 0;
  } else if (++seqInMs >= SEQ_PER_MS) {
    lastMs++;
    seqInMs = 0;
  }
  let t = lastMs;
  let time = '';
  for (let i = 0; i < 8; i++) {
    time = BASE62[t % 62]! + time;
    t = Math.floor(t / 62);
  }
  return `${prefix}_${time}${BASE62[Math.floor(seqInMs / 62)]}${BASE62[seqInMs % 62]}${base62(8)}`;
}
