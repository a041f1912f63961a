// WhatsApp checks what the user types before a Footer goes on, and so does the sandbox phone: a
// TextInput's `pattern` (Flow JSON 6.2+, for input-type text, number, password and passcode) is a
// regex the whole value must match (its helper-text tells the user the format), after min-chars /
// max-chars and the input type; helper-text and error-message are shown; a pattern the phone
// cannot check (not a regex, or on an email field) is said on the screen, not silently skipped.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, inboundMessages, waitForInbound } from './phone-client.ts';
import { unescape, stateOf, actionOf, errors } from './flow-html.ts';

const WA = '4917012340079';

const FLOW = {
  version: '7.0',
  screens: [
    {
      id: 'SIGN_UP',
      title: 'Sign up',
      terminal: true,
      data: { code_error: { type: 'string', __example__: '' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextInput', name: 'plate', label: 'Plate', required: true, pattern: '[A-Z]{2}-\\d{4}', 'min-chars': 4, 'max-chars': 12, 'helper-text': 'Like AB-1234 <two letters>' },
          { type: 'TextInput', name: 'pin', label: 'PIN', 'input-type': 'passcode', pattern: '\\d{4}', 'error-message': '${data.code_error}' },
          { type: 'TextInput', name: 'qty', label: 'Quantity', 'input-type': 'number', pattern: '[1-9]\\d?' },
          { type: 'TextInput', name: 'email', label: 'Email', 'input-type': 'email', pattern: '.*@example\\.com' },
          { type: 'TextInput', name: 'odd', label: 'Odd', pattern: '([a-z' },
          { type: 'TextInput', name: 'slow', label: 'Slow', pattern: '(a+)+b', 'max-chars': 60 },
          { type: 'TextArea', name: 'about', label: 'About', 'max-length': 10, 'helper-text': 'Ten characters at most' },
          { type: 'Footer', label: 'Send', 'on-click-action': { name: 'complete', payload: { plate: '${form.plate}', pin: '${form.pin}', qty: '${form.qty}', email: '${form.email}' } } },
        ],
      },
    },
  ],
};

const notices = (html: string) => [...html.matchAll(/<p class="flow-notice muted">([\s\S]*?)<\/p>/g)].map((m) => unescape(m[1]!));

describeEachDb('sandbox phone: the checks WhatsApp makes of typed text', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  let messageId: string;
  let page = '';
  const path = () => `/sandbox/phone/flow/${encodeURIComponent(messageId)}`;
  const send = (fields: Record<string, string>) => phone.post(path(), { _state: stateOf(page), _action: actionOf(page, 'Send'), ...fields }).then((res) => ((page = res.text.includes('name="_state"') ? res.text : page), res));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'plates', categories: ['SIGN_UP'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'hello' })).status).toBe(303);
    await waitForInbound(receiver, 1);
    const sent = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Sign up' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'TXT-1', flow_id: flow.body.id, flow_cta: 'Sign up', flow_action_payload: { screen: 'SIGN_UP', data: { code_error: 'Wrong PIN <again>' } } } } },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    messageId = sent.body.messages[0].id;
    page = (await phone.get(path())).text;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('shows helper-text and error-message, and says which patterns it cannot check', async () => {
    expect(page).toContain('Like AB-1234 &lt;two letters&gt;');
    expect(page).toContain('Ten characters at most');
    // error-message (from the screen's data) is shown on its field.
    expect(errors(page)).toEqual(['Wrong PIN <again>']);
    expect(notices(page)).toEqual([
      '“email” has input-type email, which a pattern does not apply to (WhatsApp checks it for text, number, password and passcode): not checked.',
      'The pattern of “odd” is not a regular expression the sandbox phone can read: not checked.',
    ]);
  });

  it('a value that does not match its pattern stops the Footer (after the length and input-type checks); matching values complete the flow', async () => {
    const before = inboundMessages(receiver).length;
    const res = await send({ 'f.plate': 'ab-1234', 'f.pin': '12345', 'f.qty': '0', 'f.email': 'jane@elsewhere.org', 'f.odd': 'anything', 'f.about': 'short' });
    expect(res.status).toBe(400);
    expect(page).toContain('3 fields need your attention.');
    expect(errors(page)).toEqual(['“Plate” is not in the expected format: Like AB-1234 <two letters>', '“PIN” is not in the expected format.', '“Quantity” is not in the expected format.']);
    // The whole value must match: a match inside it is not enough.
    // (A field without a problem keeps showing its error-message, as the business set it.)
    await send({ 'f.plate': 'XAB-1234', 'f.pin': '1234', 'f.qty': '5' });
    expect(errors(page)).toEqual(['“Plate” is not in the expected format: Like AB-1234 <two letters>', 'Wrong PIN <again>']);
    // min-chars and max-chars come first, then the input type, then the pattern.
    await send({ 'f.plate': 'AB', 'f.pin': '12a4', 'f.qty': 'x', 'f.about': 'more than ten characters' });
    expect(errors(page)).toEqual(['“Plate” needs at least 4 characters.', '“PIN” must be digits only.', '“Quantity” must be a number.', '“About” takes at most 10 characters.']);
    await send({ 'f.plate': 'AB-1234-XYZ-1', 'f.pin': '1234' });
    expect(errors(page)).toEqual(['“Plate” takes at most 12 characters.', 'Wrong PIN <again>']);
    // A pattern that backtracks without end is stopped (the regex runs on the server), not left to stall it.
    const started = Date.now();
    await send({ 'f.plate': 'AB-1234', 'f.pin': '1234', 'f.slow': 'a'.repeat(40) });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors(page)).toEqual(['Wrong PIN <again>', '“Slow”: its pattern took longer than 50 ms to check (a regex that backtracks without end?): the sandbox phone stops it.']);
    expect(inboundMessages(receiver).length).toBe(before);
    // Values that match go through: the nfm_reply carries them.
    const done = await send({ 'f.plate': 'AB-1234', 'f.pin': '0042', 'f.qty': '12', 'f.email': 'jane@elsewhere.org', 'f.odd': '([a-z', 'f.about': 'hi' });
    expect(done.status, errors(done.text).join('; ')).toBe(303);
    const reply = await waitForInbound(receiver, 2);
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: 'TXT-1', plate: 'AB-1234', pin: '0042', qty: '12', email: 'jane@elsewhere.org' });
  });
});
