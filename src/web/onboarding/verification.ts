// Phone number verification: a 6-digit code per attempt, kept only as a salted hash, with a
// limited number of guesses and a limited number of codes per onboarding session. In the sandbox
// no SMS is sent: the page shows the code.
import { randomInt } from 'node:crypto';
import { hashSecret, newSecret, sameHash } from '../../crypto.ts';
import type { Clock } from '../../clock.ts';
import type { Verification } from './state.ts';

export const CODE_ATTEMPTS = 3;
export const MAX_CODES = 5;
export const CODE_TTL_MS = 10 * 60_000;

export function issueCode(clock: Clock): { code: string; verification: Verification } {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const salt = newSecret(16);
  return {
    code,
    verification: {
      salt,
      codeHash: hashSecret(salt + code),
      attemptsLeft: CODE_ATTEMPTS,
      expiresAt: new Date(clock.now().getTime() + CODE_TTL_MS).toISOString(),
    },
  };
}

export type CheckResult =
  | { ok: true }
  /** Wrong code; `attemptsLeft` 0 means the code is now void. */
  | { ok: false; reason: 'wrong'; attemptsLeft: number }
  | { ok: false; reason: 'none' | 'expired' | 'malformed' };

/** Checks a presented code. The caller stores the returned verification (or clears it). */
export function checkCode(clock: Clock, v: Verification | undefined, presented: string): { result: CheckResult; next: Verification | undefined } {
  if (!v || v.attemptsLeft <= 0) return { result: { ok: false, reason: 'none' }, next: undefined };
  if (Date.parse(v.expiresAt) <= clock.now().getTime()) return { result: { ok: false, reason: 'expired' }, next: undefined };
  const code = presented.replace(/\s/g, '');
  // A malformed entry (not six digits) is a typo, not a guess: it costs no attempt.
  if (!/^\d{6}$/.test(code)) return { result: { ok: false, reason: 'malformed' }, next: v };
  if (sameHash(hashSecret(v.salt + code), v.codeHash)) return { result: { ok: true }, next: undefined };
  const attemptsLeft = v.attemptsLeft - 1;
  return { result: { ok: false, reason: 'wrong', attemptsLeft }, next: attemptsLeft > 0 ? { ...v, attemptsLeft } : undefined };
}
