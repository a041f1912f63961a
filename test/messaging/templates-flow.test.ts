import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bodyParams, REVIEW_MS, templateMessage, templateWorld, utility, type TemplateWorld } from './templates-fixtures.ts';

describeEachDb('templates: create through each API, review, webhooks, send', (kind) => {
  let w: TemplateWorld;
  let wabaExternalId: string;
  let namespace: string;
  const partnerBase = () => `/api/v2/partners/${w.p.partner_id}/waba_accounts/${w.p.waba_account_id}/waba_templates`;
  const statusHooks = () => w.received('/channel').filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update');
  const partnerEvents = () => w.received('/partner').filter((b) => b.event === 'waba_template_status_changed');
  const find360 = async (name: string) => {
    const res = await w.t.get('/v1/configs/templates', { headers: w.key(), query: { filters: JSON.stringify({ 'business_templates.name': name }) } });
    expect(res.status).toBe(200);
    return res.body.waba_templates as any[];
  };

  beforeAll(async () => {
    w = await templateWorld(kind);
    const waba = await w.t.get(`/api/v2/partners/${w.p.partner_id}/waba_accounts/${w.p.waba_account_id}`, { headers: w.pkey() });
    wabaExternalId = waba.body.external_id;
    namespace = waba.body.namespace;
  });
  afterAll(async () => w.close());

  it('a new tenant has an approved hello_world, seen by all three APIs, and can send it', async () => {
    const [hello] = await find360('hello_world');
    expect(hello).toMatchObject({ name: 'hello_world', language: 'en_US', status: 'APPROVED', category: 'UTILITY', namespace, rejected_reason: 'NONE', waba_account_id: w.p.waba_account_id, external_id: hello.id });
    const meta = await w.t.get('/message_templates', { headers: w.key() });
    expect(meta.body.data).toEqual([expect.objectContaining({ id: hello.id, name: 'hello_world', status: 'APPROVED', parameter_format: 'POSITIONAL' })]);
    const partner = await w.t.get(partnerBase(), { headers: w.pkey() });
    expect(partner.body).toMatchObject({ total: 1, limit: 50, waba_templates: [{ id: hello.id, partner_id: w.p.partner_id, created_by: { user_id: 'system' } }] });
    expect((await w.t.post('/messages', { headers: w.key(), json: templateMessage('hello_world') })).status).toBe(200);
  });

  it('POST /v1/configs/templates → PENDING (not sendable) → APPROVED after the review delay → webhook, partner event, sendable', async () => {
    const created = await w.t.post('/v1/configs/templates', { headers: w.key(), json: utility('order_shipped') });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^\d{15}$/), status: 'PENDING', category: 'UTILITY' });
    const id = created.body.id as string;

    const early = await w.t.post('/messages', { headers: w.key(), json: templateMessage('order_shipped', [bodyParams('#1')]) });
    expect(early.status).toBe(400);
    expect(early.body.error.code).toBe(132001);

    // Not yet: the review waits for its delay.
    w.clock.advance(REVIEW_MS - 1000);
    await w.t.jobs!.runDue();
    expect((await find360('order_shipped'))[0].status).toBe('PENDING');

    await w.review();
    expect((await find360('order_shipped'))[0]).toMatchObject({ id, status: 'APPROVED', rejected_reason: 'NONE' });

    await w.receiver.waitForBody('template status webhooks', () => statusHooks().length >= 1 && partnerEvents().length >= 1);
    expect(statusHooks()[0]).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: wabaExternalId,
          time: expect.any(Number),
          changes: [
            {
              field: 'message_template_status_update',
              value: { event: 'APPROVED', message_template_id: Number(id), message_template_name: 'order_shipped', message_template_language: 'en_US', reason: 'NONE' },
            },
          ],
        },
      ],
    });
    expect(partnerEvents()[0]).toMatchObject({ event: 'waba_template_status_changed', data: { id, name: 'order_shipped', status: 'APPROVED', partner_id: w.p.partner_id } });

    const sent = await w.t.post('/messages', { headers: w.key(), json: templateMessage('order_shipped', [bodyParams('#1234')]) });
    expect(sent.status).toBe(200);
    expect(sent.body.messages[0].id).toMatch(/^wamid\./);
  });

  it('POST /message_templates (Meta) and the Partner API create templates in the same store', async () => {
    const meta = await w.t.post('/message_templates', { headers: w.key(), json: { ...utility('meta_made', 'Hello {{1}}, your code is ready.'), category: 'marketing' } });
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual({ id: expect.any(String), status: 'PENDING', category: 'MARKETING' });

    const partner = await w.t.post(partnerBase(), { headers: w.pkey(), json: utility('partner_made', 'Dear {{1}}, see you on {{2}}.', 'de') });
    expect(partner.status).toBe(201);
    expect(partner.body).toMatchObject({
      name: 'partner_made',
      language: 'de',
      status: 'PENDING',
      category: 'UTILITY',
      namespace,
      partner_id: w.p.partner_id,
      waba_account_id: w.p.waba_account_id,
      created_by: { user_name: 'api_key' },
      rejected_reason: 'NONE',
    });
    expect(partner.body.external_id).toBe(partner.body.id);

    const before = partnerEvents().length;
    await w.review();
    await w.receiver.waitForBody('two partner events', () => partnerEvents().length >= before + 2);
    const all = await w.t.get('/message_templates', { headers: w.key(), query: { fields: 'name,status', status: 'approved' } });
    expect(all.body.data.map((d: any) => d.name)).toEqual(['hello_world', 'meta_made', 'order_shipped', 'partner_made']);
    expect(Object.keys(all.body.data[0]).sort()).toEqual(['id', 'name', 'status']);

    const send = await w.t.post('/messages', { headers: w.key(), json: templateMessage('partner_made', [bodyParams('Ana', 'Monday')], 'de') });
    expect(send.status).toBe(200);
  });

  it('the sandbox review rejects by its documented rule; a rejected template cannot be sent (132001)', async () => {
    // A BODY beginning with a placeholder is refused at once, as Meta does (2388299), not in review.
    const refused = await w.t.post('/v1/configs/templates', { headers: w.key(), json: utility('starts_with_placeholder', '{{1}} is your balance today.') });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 100, error_subcode: 2388299 });
    const names = ['reject_on_purpose', 'adjacent_placeholders'];
    const bodies = ['A perfectly fine text {{1}} here.', 'Hello {{1}} {{2}}, welcome to our shop.'];
    for (let i = 0; i < names.length; i++) {
      expect((await w.t.post('/v1/configs/templates', { headers: w.key(), json: utility(names[i]!, bodies[i]) })).status).toBe(201);
    }
    const hooksBefore = statusHooks().length;
    await w.review();
    for (const name of names) expect((await find360(name))[0]).toMatchObject({ status: 'REJECTED', rejected_reason: 'INVALID_FORMAT' });
    await w.receiver.waitForBody('rejection webhooks', () => statusHooks().length >= hooksBefore + 2);
    const rejected = statusHooks().slice(hooksBefore).map((b) => b.entry[0].changes[0].value);
    expect(rejected.map((v) => [v.message_template_name, v.event, v.reason]).sort()).toEqual(names.map((n) => [n, 'REJECTED', 'INVALID_FORMAT']).sort());

    const send = await w.t.post('/messages', { headers: w.key(), json: templateMessage('reject_on_purpose', [bodyParams('x')]) });
    expect(send.status).toBe(400);
    expect(send.body.error).toMatchObject({ code: 132001, error_data: { details: expect.stringContaining('REJECTED') } });
    const onprem = await w.t.post('/v1/messages', {
      headers: w.key(),
      json: { to: '4915550001111', type: 'template', template: { namespace, name: 'reject_on_purpose', language: { policy: 'deterministic', code: 'en_US' }, components: [bodyParams('x')] } },
    });
    expect(onprem.status).toBe(400);
    expect(onprem.body.errors[0].code).toBe(132001);
  });

  it('PATCH edits a rejected template: PENDING again, then reviewed anew; a template in review cannot be edited', async () => {
    const [t] = await find360('adjacent_placeholders');
    const patch = await w.t.patch(`${partnerBase()}/${t.id}`, {
      headers: w.pkey(),
      json: { components: [{ type: 'BODY', text: 'Your balance today is {{1}}.', example: { body_text: [['10 EUR']] } }] },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toEqual({ success: true });
    const [pending] = await find360('adjacent_placeholders');
    expect(pending).toMatchObject({ status: 'PENDING', rejected_reason: 'NONE', components: [{ type: 'BODY', text: 'Your balance today is {{1}}.' }] });
    expect(pending.modified_by.user_name).toBe('api_key');

    const again = await w.t.patch(`${partnerBase()}/${t.id}`, { headers: w.pkey(), json: { components: [{ type: 'BODY', text: 'Other text' }] } });
    expect(again.status).toBe(400);
    expect(again.body.meta.developer_message).toContain('PENDING');

    await w.review();
    expect((await find360('adjacent_placeholders'))[0].status).toBe('APPROVED');
    expect((await w.t.post('/messages', { headers: w.key(), json: templateMessage('adjacent_placeholders', [bodyParams('10 EUR')]) })).status).toBe(200);
  });

  it('a template deleted while in review is never reviewed', async () => {
    expect((await w.t.post('/v1/configs/templates', { headers: w.key(), json: utility('short_lived') })).status).toBe(201);
    const del = await w.t.delete('/v1/configs/templates/short_lived', { headers: w.key() });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ meta: { success: true, http_code: 200, developer_message: 'template name=short_lived was deleted' } });
    const jobs = await w.t.deps.db.kysely.selectFrom('jobs').select('id').where('kind', '=', 'template_review').execute();
    expect(jobs).toEqual([]);
    await w.review();
    expect(await find360('short_lived')).toEqual([]);
  });
});
