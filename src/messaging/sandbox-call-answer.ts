// A simulated user's own way of answering the business's calls (an openwaba extension): POST
// /sandbox/v1/users/{wa_id} {"calls": …} stores it in sandbox_users.call_answer (migration 0038);
// a business call to the user (business-calls.ts, sandbox-user-calls.ts) follows it, else OPENWABA_SANDBOX_CALL_ANSWER.
//
//   "answer" | "decline"        after the global setting's delay (1 s by default)
//   "answer=2s" | "decline=0ms" after this delay (the global setting's syntax and parser)
//   "ignore"                    never by themselves: the call rings until the sandbox phone or
//                               POST /sandbox/v1/calls/{id}/accept|terminate answers, or it rings out
//   "default" (or null)         the global setting decides
//
// A delay at or past the ring time (60 s) lets the call ring out, as with the global setting.
import { ConfigError, parseCallAnswer, type Config } from '../config.ts';
import { fail } from './validate/check.ts';

export type CallAnswer = Config['sandboxCallAnswer'];

export const USER_CALL_ANSWERS = ['answer', 'decline', 'ignore', 'default'] as const;
const ALLOWED = '"answer", "decline", "ignore" or "default"; answer and decline may take a delay, as "answer=2s" or "decline=500ms"';

const shown = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/**
 * The `calls` value of POST /sandbox/v1/users/{wa_id}, checked: what to store (null: the global
 * setting decides). Delays are stored normalised ("answer=2s", "decline=500ms").
 */
export function parseUserCallAnswer(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== 'string') throw fail('calls', `must be a string: ${ALLOWED}`);
  const t = v.trim();
  if (t.length > 32) throw fail('calls', `is too long: ${ALLOWED}`);
  if (t === 'default') return null;
  if (t === 'ignore') return 'ignore';
  const m = /^(answer|decline)(?:\s*=\s*(\S.*))?$/.exec(t);
  if (!m) throw fail('calls', `"${t.slice(0, 32)}" is not allowed: ${ALLOWED}`);
  if (m[2] === undefined) return m[1]!;
  try {
    return `${m[1]}=${shown(parseCallAnswer(t, 'calls').ms)}`;
  } catch (e) {
    if (e instanceof ConfigError) throw fail('calls', `"${t.slice(0, 32)}" has no valid delay (such as 300ms, 2s or 1m): ${ALLOWED}`);
    throw e;
  }
}

/** What the user does when called: their own stored setting, else (null, or anything unreadable) the global one. */
export function callAnswerFor(stored: string | null | undefined, global: CallAnswer): CallAnswer {
  if (stored === 'ignore') return { action: 'never', ms: global.ms };
  if (stored === 'answer' || stored === 'decline') return { action: stored, ms: global.ms };
  if (stored?.startsWith('answer=') || stored?.startsWith('decline=')) {
    try {
      return parseCallAnswer(stored, 'calls');
    } catch {
      return global;
    }
  }
  return global;
}

/** The setting as GET /sandbox/v1/users shows it: the stored value, or "default". */
export const shownCallAnswer = (stored: string | null | undefined): string => stored ?? 'default';
