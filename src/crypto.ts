// Secrets: generated with crypto randomness, stored only as hashes, compared in constant time.
import { hash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { base62 } from './ids.ts';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, keylen: number, opts: object) => Promise<Buffer>;

/** High-entropy API keys are hashed with SHA-256: a lookup by hash is an index probe. */
export function hashSecret(secret: string): string {
  // One-shot crypto.hash (Node >= 20.12, engines: >= 20.19): a third of createHash's cost, which
  // every Messaging API request pays.
  return hash('sha256', secret, 'hex');
}

export function sameHash(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newSecret(length = 32): string {
  return base62(length);
}

// scrypt parameters (N=2^15, r=8, p=1: ~32 MiB, ~50 ms) — OWASP's minimum for scrypt.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Passwords are low-entropy: slow, salted scrypt, stored as `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  const actual = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A scrypt hash of a random password: verifying against it costs what a real check costs. */
let dummyHash: Promise<string> | undefined;
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(newSecret(24));
  return dummyHash;
}

/**
 * Checks a password against an account's stored hash; without an account (hash undefined) it
 * checks against a dummy hash and answers false, so the time taken does not tell whether the
 * account exists.
 */
export async function verifyPasswordOrDummy(password: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined) {
    await verifyPassword(password, await dummyPasswordHash());
    return false;
  }
  return verifyPassword(password, hash);
}

/** A human-friendly password for generated hub users. */
export function newPassword(): string {
  return `${base62(6)}-${base62(6)}-${base62(6)}`;
}
