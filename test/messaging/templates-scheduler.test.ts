import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { templateMessage, utility } from './templates-fixtures.ts';

// The review as it runs in a server: the real job scheduler and a short OPENWABA_TEMPLATE_REVIEW_DELAY.
describeEachDb('templates: the running job scheduler reviews after OPENWABA_TEMPLATE_REVIEW_DELAY', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const statusOf = async (name: string) =>
    (await t.get('/v1/configs/templates', { headers: key(), query: { filters: JSON.stringify({ name }) } })).body.waba_templates[0]?.status as string | undefined;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_TEMPLATE_REVIEW_DELAY: '300ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/hook` } })).status).toBe(200);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('PENDING at first, APPROVED by itself after the delay, with the webhook; then sendable', async () => {
    const started = Date.now();
    expect((await t.post('/v1/configs/templates', { headers: key(), json: utility('auto_reviewed') })).status).toBe(201);
    expect((await t.post('/v1/configs/templates', { headers: key(), json: utility('reject_auto') })).status).toBe(201);
    expect(await statusOf('auto_reviewed')).toBe('PENDING');
    await receiver.waitFor(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const events = receiver.bodies().map((b) => b.entry[0].changes[0].value);
    expect(events.map((v) => `${v.message_template_name}:${v.event}`).sort()).toEqual(['auto_reviewed:APPROVED', 'reject_auto:REJECTED']);
    expect(await statusOf('auto_reviewed')).toBe('APPROVED');
    expect(await statusOf('reject_auto')).toBe('REJECTED');
    const jobs = await t.deps.db.kysely.selectFrom('jobs').select('id').where('kind', '=', 'template_review').execute();
    expect(jobs).toEqual([]);
    expect((await t.post('/messages', { headers: key(), json: templateMessage('auto_reviewed', [{ type: 'body', parameters: [{ type: 'text', text: '#7' }] }]) })).status).toBe(200);
  });
});
