// The Partner API's error body, exactly: {"meta":{"success":false,"http_code":N,"developer_message":"…"}}
// with optional `details` (a list of strings) and nothing else.
import { expect } from 'vitest';
import type { HttpResponse } from './app.ts';

export function expectPartnerError(res: HttpResponse, status: number, message?: RegExp | string): void {
  expect(res.status, res.text).toBe(status);
  expect(Object.keys(res.body ?? {})).toEqual(['meta']);
  const { details, ...meta } = res.body.meta as Record<string, unknown>;
  expect(meta).toEqual({ success: false, http_code: status, developer_message: expect.any(String) });
  expect((meta.developer_message as string).length).toBeGreaterThan(0);
  if (details !== undefined) {
    expect(Array.isArray(details)).toBe(true);
    for (const d of details as unknown[]) expect(typeof d).toBe('string');
  }
  if (message !== undefined) {
    if (typeof message === 'string') expect(meta.developer_message).toContain(message);
    else expect(meta.developer_message).toMatch(message);
  }
}
