// On WhatsApp a flow message is completed once: afterwards its button shows it was submitted and
// the same flow_token cannot be completed again. The sandbox phone knows it from the stored
// nfm_reply answering the message: opening the flow again says it was submitted and shows the
// response_json sent, a stale page posting again (or two posts at once) sends nothing more, and the
// chat marks the flow's button. POST /sandbox/v1/inbound, the developer's raw tool, still takes
// another nfm_reply for it; the phone keeps showing the first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, inboundMessages, waitForInbound } from './phone-client.ts';
import { unescape, stateOf, actionOf } from './flow-html.ts';

const WA = '4917012340080';

const FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'RATE',
      title: 'Rate us',
      terminal: true,
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextInput', name: 'comment', label: 'Comment' },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { comment: '${form.comment}' } } },
        ],
      },
    },
  ],
};

const doneResponse = (html: string) => {
  const m = /<pre class="flow-json" id="flow-done-response">([\s\S]*?)<\/pre>/.exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const nfmReplies = (receiver: Receiver, context: string) => inboundMessages(receiver).filter((m) => m.interactive?.type === 'nfm_reply' && m.context?.id === context);

describeEachDb('sandbox phone: a flow message is completed once', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  let flowId: string;
  let n = 0;
  const path = (id: string) => `/sandbox/phone/flow/${encodeURIComponent(id)}`;
  async function sendFlow(): Promise<{ id: string; token: string }> {
    const token = `RATE-${++n}`;
    const sent = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive: { type: 'flow', body: { text: 'How did we do?' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: token, flow_id: flowId, flow_cta: 'Rate us', flow_action_payload: { screen: 'RATE' } } } } },
    });
    expect(sent.status, sent.text).toBe(200);
    return { id: sent.body.messages[0].id as string, token };
  }
  const settle = () => new Promise((r) => setTimeout(r, 300));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms', OPENWABA_TEMPLATE_REVIEW_DELAY: '50ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'rating', categories: ['SURVEY'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    flowId = flow.body.id;
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'hi' })).status).toBe(303);
    await waitForInbound(receiver, 1);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('once completed, the flow says it was submitted, shows the response_json sent, and a stale page sends nothing more', async () => {
    const m = await sendFlow();
    const page = (await phone.get(path(m.id))).text;
    const done = await phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': 'Great <pizza>' });
    expect(done.status).toBe(303);
    await receiver.waitForBody('the nfm_reply', () => nfmReplies(receiver, m.id)[0]);
    const sentJson = JSON.stringify({ flow_token: m.token, comment: 'Great <pizza>' });

    const again = await phone.get(path(m.id));
    expect(again.status).toBe(200);
    expect(again.text).toContain('<strong>Submitted.</strong> You completed this flow already');
    expect(doneResponse(again.text)).toBe(sentJson);
    expect(again.text).not.toContain('Great <pizza>');
    // No screen to fill in any more.
    expect(again.text).not.toContain('name="_state"');
    expect(again.text).not.toContain('name="_action"');

    // The page from before the completion, posted again (a second tab, the back button): nothing sent.
    const stale = await phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': 'Once more' });
    expect(stale.status).toBe(409);
    expect(doneResponse(stale.text)).toBe(sentJson);
    await settle();
    expect(nfmReplies(receiver, m.id)).toHaveLength(1);

    // The chat shows the flow's button as submitted.
    const items = await phone.items();
    const bubble = items.find((b: any) => b.id === m.id);
    expect(bubble.links).toEqual([{ label: 'Rate us', target: `WhatsApp Flow ${flowId} · submitted` }]);
    const chat = await phone.get('/sandbox/phone');
    expect(chat.text).toContain(`<span class="link-target">WhatsApp Flow ${flowId} · submitted</span>`);
  });

  it('two completions at once send one nfm_reply; the other is told the flow was completed', async () => {
    const m = await sendFlow();
    const page = (await phone.get(path(m.id))).text;
    const post = (comment: string) => phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': comment });
    const results = await Promise.all([post('first'), post('second'), post('third')]);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409, 409]);
    await receiver.waitForBody('the nfm_reply', () => nfmReplies(receiver, m.id)[0]);
    await settle();
    expect(nfmReplies(receiver, m.id)).toHaveLength(1);
    const sent = nfmReplies(receiver, m.id)[0];
    const shown = await phone.get(path(m.id));
    expect(doneResponse(shown.text)).toBe(sent.interactive.nfm_reply.response_json);
  });

  it("a template's FLOW button is completed once too: the button says submitted, the page shows the reply", async () => {
    const key = channelKey(p.channel_api_key);
    const created = await t.post('/v1/configs/templates', {
      headers: key,
      json: { name: 'rate_inline', category: 'MARKETING', language: 'en_US', components: [{ type: 'BODY', text: 'Rate us' }, { type: 'BUTTONS', buttons: [{ type: 'FLOW', text: 'Rate', flow_json: JSON.stringify(FLOW) }] }] },
    });
    expect(created.status, created.text).toBe(201);
    await expect
      .poll(async () => (await t.get('/v1/configs/templates', { headers: key, query: { filters: JSON.stringify({ name: 'rate_inline' }) } })).body.waba_templates[0]?.status, { timeout: 10_000 })
      .toBe('APPROVED');
    const sent = await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: WA, type: 'template', template: { name: 'rate_inline', language: { code: 'en_US' }, components: [{ type: 'button', sub_type: 'flow', index: '0', parameters: [{ type: 'action', action: { flow_token: 'TPL-RATE' } }] }] } } });
    expect(sent.status, sent.text).toBe(200);
    const id = sent.body.messages[0].id as string;
    const page = (await phone.get(path(id))).text;
    expect((await phone.post(path(id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': 'template' })).status).toBe(303);
    await receiver.waitForBody('the nfm_reply', () => nfmReplies(receiver, id)[0]);
    const items = await phone.items();
    expect(items.find((b: any) => b.id === id).templateButtons).toEqual([{ kind: 'link', label: 'Rate', target: expect.stringMatching(/ · submitted$/), href: path(id) }]);
    const again = await phone.get(path(id));
    expect(doneResponse(again.text)).toBe(JSON.stringify({ flow_token: 'TPL-RATE', comment: 'template' }));
    expect((await phone.post(path(id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': 'again' })).status).toBe(409);
  });

  it('POST /sandbox/v1/inbound still takes another nfm_reply for a completed flow; the phone keeps showing the first', async () => {
    const m = await sendFlow();
    const page = (await phone.get(path(m.id))).text;
    expect((await phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Send'), 'f.comment': 'from the phone' })).status).toBe(303);
    await receiver.waitForBody('the nfm_reply', () => nfmReplies(receiver, m.id)[0]);
    const raw = await t.post('/sandbox/v1/inbound', {
      headers: channelKey(p.channel_api_key),
      json: { from: WA, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', response_json: { comment: 'from the raw tool' } } }, context: { message_id: m.id } },
    });
    expect(raw.status, raw.text).toBe(200);
    await receiver.waitForBody('the second nfm_reply', () => nfmReplies(receiver, m.id)[1]);
    const shown = await phone.get(path(m.id));
    expect(doneResponse(shown.text)).toBe(JSON.stringify({ flow_token: m.token, comment: 'from the phone' }));
  });
});
