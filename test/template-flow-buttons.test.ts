// A template's FLOW button names a flow of the template's WABA (and partner), by flow_id or
// flow_name: an unknown flow, another WABA's or another partner's, or a DEPRECATED one is a 400
// naming the field, in each API's format (Cloud /message_templates, /v1/configs/templates for a
// Cloud or On-Premise channel, the Partner API's …/waba_templates and its PATCH edit). An inline
// flow (flow_json) is taken as before; navigate_screen is checked against a stored, valid Flow JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createWabaAccount } from '../src/services/waba-accounts.ts';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type HttpResponse, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { MINIMAL_FLOW_JSON } from './helpers/flows.ts';

const ADMIN = 'c'.repeat(32);
const FLOW_JSON = JSON.stringify(MINIMAL_FLOW_JSON);

/** The FLOW button is components[2].buttons[0]. */
const components = (button: Record<string, unknown>) => [
  { type: 'BODY', text: 'Book your next visit' },
  { type: 'FOOTER', text: 'See you soon' },
  { type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Book', ...button }] },
];
let n = 0;
const tpl = (button: Record<string, unknown>) => ({ name: `flow_button_${++n}`, category: 'MARKETING', language: 'en_US', components: components(button) });
const FIELD = 'components[2].buttons[0]';

describeEachDb('templates: a FLOW button names a flow of the WABA', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let onpremKey: Record<string, string>;
  const flows = { published: '', draft: '', deprecated: '', otherWaba: '', otherPartner: '' };

  const cloudKey = () => ({ 'D360-API-KEY': a.channel_api_key });
  const flowsPath = (pid: string, waba: string) => `/api/v2/partners/${pid}/waba_accounts/${waba}/flows`;
  const templatesPath = () => `/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/waba_templates`;
  const createFlow = async (p: BootstrapResult, body: Record<string, unknown>, waba = p.waba_account_id): Promise<string> => {
    const res = await t.post(flowsPath(p.partner_id, waba), { headers: partnerKey(p.partner_api_key), json: { categories: ['APPOINTMENT_BOOKING'], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };

  /** The same creation through every entry point; each must refuse it with `detail`. */
  async function expectRefusedEverywhere(button: Record<string, unknown>, detail: string): Promise<void> {
    const cloud = await t.post('/message_templates', { headers: cloudKey(), json: tpl(button) });
    expect(cloud.status, cloud.text).toBe(400);
    expect(cloud.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect(cloud.body.error.error_data.details).toContain(detail);
    const v1 = await t.post('/v1/configs/templates', { headers: cloudKey(), json: tpl(button) });
    expect(v1.status, v1.text).toBe(400);
    expect(v1.body.error.error_data.details).toContain(detail);
    const onprem = await t.post('/v1/configs/templates', { headers: onpremKey, json: tpl(button) });
    expect(onprem.status, onprem.text).toBe(400);
    expect(onprem.body.errors[0]).toMatchObject({ code: 1009, details: expect.stringContaining(detail) });
    expectPartnerError(await t.post(templatesPath(), { headers: partnerKey(a.partner_api_key), json: tpl(button) }), 400, detail);
  }

  const createdThroughPartnerApi = async (button: Record<string, unknown>): Promise<HttpResponse> => t.post(templatesPath(), { headers: partnerKey(a.partner_api_key), json: tpl(button) });

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    a = await t.tenant({ clientName: 'Partner A client' });
    b = await t.tenant({ clientName: 'Partner B client' });
    const ch = await t.post(`/admin/partners/${a.partner_id}/clients/${a.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450001', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${a.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };

    flows.published = await createFlow(a, { name: 'booking', flow_json: FLOW_JSON, publish: true });
    flows.draft = await createFlow(a, { name: 'draft without asset' });
    flows.deprecated = await createFlow(a, { name: 'retired', flow_json: FLOW_JSON, publish: true });
    const dep = await t.post(`${flowsPath(a.partner_id, a.waba_account_id)}/${flows.deprecated}/deprecate`, { headers: partnerKey(a.partner_api_key) });
    expect(dep.body).toEqual({ success: true });
    // A second WABA of the same partner, with its own flow.
    const second = await createWabaAccount(t.deps, { partnerId: a.partner_id, clientId: a.client_id, name: 'Second WABA' });
    flows.otherWaba = await createFlow(a, { name: 'second waba flow', flow_json: FLOW_JSON, publish: true }, second.id);
    flows.otherPartner = await createFlow(b, { name: 'b flow', flow_json: FLOW_JSON, publish: true });
  });
  afterAll(async () => t.close());

  describe('refused in each API’s format, naming the field', () => {
    it('an unknown flow_id or flow_name', async () => {
      await expectRefusedEverywhere({ flow_id: '123' }, `${FIELD}.flow_id: no flow 123 in this WhatsApp Business Account`);
      await expectRefusedEverywhere({ flow_id: 1234567890 }, `${FIELD}.flow_id: no flow 1234567890 in this WhatsApp Business Account`);
      await expectRefusedEverywhere({ flow_name: 'nope' }, `${FIELD}.flow_name: no flow named "nope" in this WhatsApp Business Account`);
    });

    it('another WABA’s flow, another partner’s flow (by id and by name)', async () => {
      await expectRefusedEverywhere({ flow_id: flows.otherWaba }, `${FIELD}.flow_id: no flow ${flows.otherWaba} in this WhatsApp Business Account`);
      await expectRefusedEverywhere({ flow_name: 'second waba flow' }, `${FIELD}.flow_name: no flow named "second waba flow"`);
      await expectRefusedEverywhere({ flow_id: flows.otherPartner }, `${FIELD}.flow_id: no flow ${flows.otherPartner} in this WhatsApp Business Account`);
      await expectRefusedEverywhere({ flow_name: 'b flow' }, `${FIELD}.flow_name: no flow named "b flow"`);
    });

    it('a DEPRECATED flow', async () => {
      await expectRefusedEverywhere({ flow_id: flows.deprecated }, `${FIELD}.flow_id: flow ${flows.deprecated} ("retired") is DEPRECATED; a deprecated flow cannot be attached to a template`);
      await expectRefusedEverywhere({ flow_name: 'retired' }, `${FIELD}.flow_name: flow ${flows.deprecated} ("retired") is DEPRECATED`);
    });

    it('a flow id or name with a NUL character: refused at its field on both databases', async () => {
      await expectRefusedEverywhere({ flow_id: `${flows.published}\u0000` }, `${FIELD}.flow_id: must not contain NUL characters`);
      await expectRefusedEverywhere({ flow_name: 'booking\u0000' }, `${FIELD}.flow_name: must not contain NUL characters`);
    });

    it('a navigate_screen that is not a screen of the flow’s stored Flow JSON', async () => {
      await expectRefusedEverywhere({ flow_id: flows.published, navigate_screen: 'CHECKOUT' }, `${FIELD}.navigate_screen: flow ${flows.published} has no screen "CHECKOUT" (its screens: WELCOME)`);
    });
  });

  it('a flow of the WABA is taken, by id (also as a number) or by name, published or draft; an inline flow_json as before', async () => {
    const byId = await t.post('/message_templates', { headers: cloudKey(), json: tpl({ flow_id: flows.published, navigate_screen: 'WELCOME', flow_action: 'navigate' }) });
    expect(byId.status, byId.text).toBe(200);
    expect((await t.post('/v1/configs/templates', { headers: onpremKey, json: tpl({ flow_id: Number(flows.published) }) })).status).toBe(201);
    const byName = await createdThroughPartnerApi({ flow_name: 'booking' });
    expect(byName.status, byName.text).toBe(201);
    expect(byName.body.components[2].buttons[0]).toMatchObject({ type: 'FLOW', flow_name: 'booking' });
    // A draft without Flow JSON: no screens to compare with, so any navigate_screen is taken.
    expect((await createdThroughPartnerApi({ flow_id: flows.draft, navigate_screen: 'ANYWHERE' })).status).toBe(201);
    expect((await createdThroughPartnerApi({ flow_json: FLOW_JSON, navigate_screen: 'WELCOME' })).status).toBe(201);
  });

  it('an edit (Partner API PATCH) is held to the same rule', async () => {
    const list = await t.get(templatesPath(), { headers: partnerKey(a.partner_api_key), query: { filters: JSON.stringify({ name: 'hello_world' }) } });
    const hello = (list.body.waba_templates as { id: string; name: string; status: string }[]).find((x) => x.name === 'hello_world')!;
    expect(hello.status).toBe('APPROVED');
    const patch = (button: Record<string, unknown>) => t.patch(`${templatesPath()}/${hello.id}`, { headers: partnerKey(a.partner_api_key), json: { components: components(button) } });
    expectPartnerError(await patch({ flow_id: flows.otherPartner }), 400, `${FIELD}.flow_id: no flow ${flows.otherPartner} in this WhatsApp Business Account`);
    expectPartnerError(await patch({ flow_name: 'retired' }), 400, 'is DEPRECATED');
    const ok = await patch({ flow_id: flows.published });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ success: true });
  });
});
