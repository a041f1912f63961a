// A tenant with a channel webhook and a partner webhook at one local receiver, a manual clock,
// and the template review run by hand (the job scheduler's own loop is stopped).
import { expect } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { DbKind } from '../helpers/db.ts';
import { Receiver } from '../helpers/receiver.ts';

export const REVIEW_MS = 5_000;

export interface TemplateWorld {
  t: TestApp;
  p: BootstrapResult;
  clock: ManualClock;
  receiver: Receiver;
  /** D360-API-KEY header of the tenant's channel. */
  key: () => Record<string, string>;
  /** X-API-Key header of the tenant's partner. */
  pkey: () => Record<string, string>;
  /** Moves the clock past the review delay and runs the due jobs. */
  review(): Promise<void>;
  /** Bodies received at a path of the receiver. */
  received(path: string): any[];
  close(): Promise<void>;
}

export async function templateWorld(kind: DbKind): Promise<TemplateWorld> {
  const receiver = await new Receiver().start();
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  const t = await startTestApp(kind, { dispatcher: true, clock });
  // Reviews run only when a test says so; the dispatcher keeps delivering.
  await t.jobs!.stop();
  const p = await t.tenant();
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const pkey = () => partnerKey(p.partner_api_key);
  expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/channel` } })).status).toBe(200);
  expect((await t.post(`/api/v2/partners/${p.partner_id}/webhook_url`, { headers: pkey(), json: { webhook_url: `${receiver.url}/partner` } })).status).toBe(200);
  return {
    t,
    p,
    clock,
    receiver,
    key,
    pkey,
    async review() {
      clock.advance(REVIEW_MS + 1);
      await t.jobs!.runDue();
    },
    received: (path) => receiver.bodies(path),
    async close() {
      await t.close();
      await receiver.close();
    },
  };
}

/** A UTILITY template with one numbered placeholder in its body. */
export function utility(name: string, text = 'Your order {{1}} has shipped.', language = 'en_US') {
  const n = new Set([...text.matchAll(/\{\{(\d+)\}\}/g)].map((m) => m[1])).size;
  return {
    name,
    category: 'UTILITY',
    language,
    components: [{ type: 'BODY', text, ...(n ? { example: { body_text: [Array.from({ length: n }, (_, i) => `sample ${i + 1}`)] } } : {}) }],
  };
}

export function templateMessage(name: string, components: unknown[] = [], language = 'en_US') {
  return { messaging_product: 'whatsapp', to: '4915550001111', type: 'template', template: { name, language: { code: language }, components } };
}

export const bodyParams = (...texts: string[]) => ({ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) });
