// Shared by the validate-*.test.ts files: send a type object through either flavour's validator
// and read a rejection as the wire shows it (status, Meta code, details naming the field).
import { expect } from 'vitest';
import { ApiError } from '../../src/errors.ts';
import type { MetaErrorInfo } from '../../src/messaging/errors.ts';
import { validateCloudSend, validateOnPremSend, type NormalizedMessage } from '../../src/messaging/validate/message.ts';

export const TO = '4917612345678';
export type Flavour = 'cloud' | 'onpremise';
export const FLAVOURS: Flavour[] = ['cloud', 'onpremise'];

/** A send of `type` with the given type object (plus top-level extras) in one flavour. */
export function send(flavour: Flavour, type: string, value: unknown, extra: Record<string, unknown> = {}): NormalizedMessage {
  const body = { to: TO, type, [type]: value, ...extra };
  const r = flavour === 'cloud' ? validateCloudSend({ messaging_product: 'whatsapp', ...body }) : validateOnPremSend(body);
  if (r.kind !== 'message') throw new Error('expected a message, got a mark-as-read');
  return r;
}

export interface Rejection {
  status: number;
  metaCode: number;
  details: string;
}

export function rejection(fn: () => unknown): Rejection {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return { status: e.status, metaCode: (e.extra as unknown as MetaErrorInfo).metaCode, details: e.message };
  }
  throw new Error('expected a rejection, but the message was accepted');
}

/** Asserts a 400 whose details start with `<field>: ` (and match `rule` when given). */
export function expectRejected(fn: () => unknown, field: string, opts: { code?: 100 | 131009; rule?: RegExp } = {}): Rejection {
  const r = rejection(fn);
  expect(r.status).toBe(400);
  expect(r.details.slice(0, field.length + 2)).toBe(`${field}: `);
  expect(r.metaCode).toBe(opts.code ?? 100);
  if (opts.rule) expect(r.details).toMatch(opts.rule);
  return r;
}

/** Rejected the same way by both flavours. */
export function expectRejectedInBoth(type: string, value: unknown, field: string, opts: { code?: 100 | 131009; rule?: RegExp } = {}): void {
  for (const flavour of FLAVOURS) expectRejected(() => send(flavour, type, value), field, opts);
}

export const repeat = (n: number, ch = 'x') => ch.repeat(n);
