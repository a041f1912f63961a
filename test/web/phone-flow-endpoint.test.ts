// A developer tests their Flow's data endpoint locally: the endpoint (test/helpers/flow-endpoint.ts,
// Meta's reference decryption and encryption, its own RSA key pair whose public key is uploaded
// through the Messaging API, checking X-Hub-Signature-256 with the app secret) runs on this
// machine; the business sends a flow message with flow_action "data_exchange"; the simulated user
// opens it on the sandbox phone. INIT gives the first screen, a data_exchange action the next one,
// Back on a refresh_on_back screen asks BACK, error_message keeps the user on the screen, SUCCESS
// completes the flow and the business's webhook gets the nfm_reply. And everything an endpoint
// gets wrong is said on the page, precisely, never as a 5xx or a hang: 421 (retried once after
// the key is read again), 427, 432, other statuses, answers that do not decrypt or are not the
// right JSON, a timeout, a redirect (not followed), and the strict URL policy.
import os from 'node:os';
import dns from 'node:dns/promises';
import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { FlowEndpoint, type EndpointReply, type FlowRequest } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { isPrivateAddress } from '../../src/webhooks/private-address.ts';
import { loadConfig } from '../../src/config.ts';
import { PhoneClient, waitForInbound, inboundMessages } from './phone-client.ts';
import { unescape, actionOf } from './flow-html.ts';

const WA = '4917012340001';
const APP_SECRET = 'flows-app-secret-0123456789';
const SLOTS = [
  { id: 'mon', title: 'Monday' },
  { id: 'tue', title: 'Tuesday' },
];

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { PICK: ['DETAILS'], DETAILS: ['CONFIRM'], CONFIRM: [] },
  screens: [
    {
      id: 'PICK',
      title: 'Pick a slot',
      data: { greeting: { type: 'string', __example__: 'Hi' }, slots: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' } } }, __example__: SLOTS } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextHeading', text: '${data.greeting}' },
          { type: 'Dropdown', name: 'slot', label: 'Slot', required: true, 'data-source': '${data.slots}' },
          { type: 'EmbeddedLink', text: 'Jump ahead', 'on-click-action': { name: 'data_exchange', payload: { jump: true } } },
          { type: 'Footer', label: 'Continue', 'on-click-action': { name: 'data_exchange', payload: { slot: '${form.slot}' } } },
        ],
      },
    },
    {
      id: 'DETAILS',
      title: 'Your details',
      refresh_on_back: true,
      data: { slot_label: { type: 'string', __example__: 'Monday' } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '`Slot: ${data.slot_label}`' },
          { type: 'TextInput', name: 'name', label: 'Name', required: true },
          { type: 'Footer', label: 'Book', 'on-click-action': { name: 'data_exchange', payload: { name: '${form.name}' } } },
        ],
      },
    },
    {
      id: 'CONFIRM',
      title: 'Booked',
      terminal: true,
      data: { summary: { type: 'string', __example__: 'Booked' } },
      layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: '${data.summary}' }, { type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
};

const GREETING = 'Hello Jane <script>alert(1)</script>';

/** The booking endpoint's logic, as a developer would write it. */
function booking(req: FlowRequest): EndpointReply {
  if (req.action === 'ping') return { json: { data: { status: 'active' } } };
  if (req.action === 'INIT') return { json: { version: '3.0', screen: 'PICK', data: { greeting: GREETING, slots: SLOTS } } };
  if (req.action === 'BACK') return { json: { screen: 'PICK', data: { greeting: 'Welcome back', slots: SLOTS } } };
  if (req.action === 'data_exchange' && req.screen === 'PICK' && req.data?.slot) {
    return { json: { screen: 'DETAILS', data: { slot_label: req.data.slot === 'mon' ? 'Monday 10:00' : 'Tuesday 14:00' } } };
  }
  if (req.action === 'data_exchange' && req.screen === 'DETAILS') {
    if (req.data?.name === 'Taken') return { json: { data: { error_message: 'That name is taken, <b>sorry</b>' } } };
    return { json: { screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: req.flow_token, name: req.data?.name, booked: true } } } } };
  }
  return { status: 400, body: 'unexpected request' };
}

const stateOf = (html: string) => /name="_state" value="([^"]*)"/.exec(html)?.[1] ?? '';
const pre = (html: string, id: string) => {
  const m = new RegExp(`<pre class="flow-json" id="${id}">([\\s\\S]*?)</pre>`).exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const endpointError = (html: string) => {
  const m = /<p id="flow-endpoint-error"[^>]*><strong>Flow endpoint:<\/strong> ([\s\S]*?)<\/p>/.exec(html);
  return m ? unescape(m[1]!) : undefined;
};
const heading = (html: string) => /<h2 class="flow-heading">([\s\S]*?)<\/h2>/.exec(html)?.[1];

describeEachDb('sandbox phone: a flow against its data endpoint', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let phone: PhoneClient;
  let flowId: string;
  let n = 0;
  const flowPath = (id: string) => `/sandbox/phone/flow/${encodeURIComponent(id)}`;
  const flowsPath = () => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`;

  async function uploadKey(pem: string): Promise<void> {
    const res = await t.post('/whatsapp_business_encryption', {
      headers: { ...channelKey(p.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ business_public_key: pem }).toString(),
    });
    expect(res.status, res.text).toBe(200);
  }

  /** The business sends the flow (flow_action data_exchange unless told): the message's id and flow_token. */
  async function sendFlow(parameters: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
    const token = `T-${++n}`;
    const res = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Book a slot' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: token, flow_id: flowId, flow_cta: 'Book', flow_action: 'data_exchange', ...parameters } } },
      },
    });
    expect(res.status, res.text).toBe(200);
    return { id: res.body.messages[0].id as string, token };
  }

  const open = (id: string) => phone.get(flowPath(id));
  const tap = (id: string, page: string, label: string, fields: Record<string, string> = {}) => phone.post(flowPath(id), { _state: stateOf(page), _action: actionOf(page, label), ...fields });
  const back = (id: string, page: string) => phone.post(flowPath(id), { _state: stateOf(page), _back: '1' });
  /** Runs `fn` with the endpoint answering every request with `reply`. */
  async function answering<T>(reply: EndpointReply | ((req: FlowRequest) => EndpointReply), fn: () => Promise<T>): Promise<T> {
    endpoint.handler = typeof reply === 'function' ? reply : () => reply;
    try {
      return await fn();
    } finally {
      endpoint.handler = booking;
    }
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    endpoint = await new FlowEndpoint().start();
    endpoint.appSecret = APP_SECRET;
    endpoint.handler = booking;
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms', OPENWABA_META_APP_SECRET: APP_SECRET } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    await uploadKey(endpoint.publicKeyPem);
    const flow = await t.post(flowsPath(), {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'booking', categories: ['APPOINTMENT_BOOKING'], endpoint_uri: `${endpoint.url}/flow`, flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    expect(flow.body.validation_errors).toEqual([]);
    flowId = flow.body.id;
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'I want to book' })).status).toBe(303);
    await waitForInbound(receiver, 1);
  });
  afterAll(async () => {
    await t?.close();
    await endpoint?.close();
    await receiver?.close();
  });

  it('INIT: opening the flow asks the endpoint for the first screen, encrypted and signed as WhatsApp does, and shows the screen with its data', async () => {
    const m = await sendFlow();
    const before = endpoint.requests.length;
    const res = await open(m.id);
    expect(res.status).toBe(200);
    expect(endpoint.requests.length).toBe(before + 1);
    const r = endpoint.requests.at(-1)!;
    expect(r.path).toBe('/flow');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-hub-signature-256']).toBe(`sha256=${crypto.createHmac('sha256', APP_SECRET).update(r.body).digest('hex')}`);
    expect(Object.keys(JSON.parse(r.body)).sort()).toEqual(['encrypted_aes_key', 'encrypted_flow_data', 'initial_vector']);
    // INIT names no screen and carries no data.
    expect(r.decrypted).toEqual({ version: '3.0', action: 'INIT', flow_token: m.token });
    // The endpoint's screen, its data escaped wherever it is drawn.
    expect(heading(res.text)).toBe('Hello Jane &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('<option value="mon">Monday</option>');
    expect(res.text).toContain('<option value="tue">Tuesday</option>');
    // The exchange panel: the decrypted request and answer.
    expect(res.text).toContain('<details class="flow-exchange" id="flow-exchange">');
    expect(JSON.parse(pre(res.text, 'flow-exchange-request')!)).toEqual({ version: '3.0', action: 'INIT', flow_token: m.token });
    expect(JSON.parse(pre(res.text, 'flow-exchange-response')!)).toEqual({ version: '3.0', screen: 'PICK', data: { greeting: GREETING, slots: SLOTS } });
    expect(res.text).toContain('X-Hub-Signature-256 (HMAC-SHA256 with OPENWABA_META_APP_SECRET)');
  });

  it('data_exchange: the screen goes to the endpoint (after WhatsApp\'s own checks), whose answer is the next screen; Back on a refresh_on_back screen asks BACK', async () => {
    const m = await sendFlow();
    const first = await open(m.id);
    const sent = endpoint.requests.length;
    // A required field left empty stops the Footer before anything is sent.
    const empty = await tap(m.id, first.text, 'Continue');
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('“Slot” is required.');
    expect(endpoint.requests.length).toBe(sent);

    const details = await tap(m.id, first.text, 'Continue', { 'f.slot': 'mon' });
    expect(details.status).toBe(200);
    expect(endpoint.decrypted().at(-1)).toEqual({ version: '3.0', action: 'data_exchange', screen: 'PICK', data: { slot: 'mon' }, flow_token: m.token });
    expect(details.text).toContain('<h1 id="flow-title">Your details</h1>');
    expect(details.text).toContain('<p class="flow-body">Slot: Monday 10:00</p>');
    expect(JSON.parse(pre(details.text, 'flow-exchange-request')!).action).toBe('data_exchange');

    const back1 = await back(m.id, details.text);
    expect(back1.status).toBe(200);
    expect(endpoint.decrypted().at(-1)).toEqual({ version: '3.0', action: 'BACK', screen: 'DETAILS', flow_token: m.token });
    expect(heading(back1.text)).toBe('Welcome back');
    // What was chosen on the screen before comes back with it.
    expect(back1.text).toContain('<option value="mon" selected>Monday</option>');
  });

  it('error_message keeps the user on the screen, what they typed kept, with the message as a snackbar', async () => {
    const m = await sendFlow();
    const details = await tap(m.id, (await open(m.id)).text, 'Continue', { 'f.slot': 'tue' });
    const res = await tap(m.id, details.text, 'Book', { 'f.name': 'Taken' });
    expect(res.status).toBe(200);
    expect(endpoint.decrypted().at(-1)).toEqual({ version: '3.0', action: 'data_exchange', screen: 'DETAILS', data: { name: 'Taken' }, flow_token: m.token });
    expect(res.text).toContain('<p id="flow-snackbar" class="snackbar" role="alert">That name is taken, &lt;b&gt;sorry&lt;/b&gt;</p>');
    expect(res.text).toContain('<h1 id="flow-title">Your details</h1>');
    expect(res.text).toContain('value="Taken"');
    expect(res.text).toContain('<p class="flow-body">Slot: Tuesday 14:00</p>');
    expect(endpointError(res.text)).toBeUndefined();
  });

  it("SUCCESS completes the flow: the business's webhook gets the nfm_reply, its response_json the endpoint's params, replying to the flow message", async () => {
    const m = await sendFlow();
    const details = await tap(m.id, (await open(m.id)).text, 'Continue', { 'f.slot': 'mon' });
    const before = inboundMessages(receiver).length;
    const res = await tap(m.id, details.text, 'Book', { 'f.name': 'Jane Doe' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Your endpoint completed the flow (screen SUCCESS)');
    expect(JSON.parse(pre(res.text, 'flow-exchange-response')!)).toEqual({ screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: m.token, name: 'Jane Doe', booked: true } } } });
    const reply = await waitForInbound(receiver, before + 1);
    expect(reply).toMatchObject({ from: WA, type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent' } } });
    expect(reply.context).toEqual({ from: p.phone_number, id: m.id });
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: m.token, name: 'Jane Doe', booked: true });
  });

  it('421: the public key is read again and the request retried once, as WhatsApp does — a key replaced meanwhile is used', async () => {
    // The business rotated its key pair: openwaba still holds an old public key.
    const old = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await uploadKey(old);
    endpoint.onUndecryptable = async () => {
      // The endpoint cannot decrypt; its owner uploads the current public key, and it answers 421.
      await uploadKey(endpoint.publicKeyPem);
      return { status: 421 };
    };
    try {
      const m = await sendFlow();
      const before = endpoint.requests.length;
      const res = await open(m.id);
      expect(res.status).toBe(200);
      expect(endpoint.requests.length).toBe(before + 2);
      expect(endpoint.requests.at(-2)!.decrypted).toBeUndefined();
      expect(endpoint.requests.at(-1)!.decrypted).toEqual({ version: '3.0', action: 'INIT', flow_token: m.token });
      expect(heading(res.text)).toBe('Hello Jane &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.text).toContain('HTTP 421 after');
      expect(res.text).toContain('the public key is read again and the request retried once');
    } finally {
      endpoint.onUndecryptable = () => ({ status: 421 });
      await uploadKey(endpoint.publicKeyPem);
    }
  });

  it('421 twice: the page says the private key does not match the uploaded public key; nothing more is sent', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await uploadKey(other);
    try {
      const m = await sendFlow();
      const before = endpoint.requests.length;
      const res = await open(m.id);
      expect(res.status).toBe(200);
      expect(endpoint.requests.length).toBe(before + 2);
      expect(endpointError(res.text)).toBe(
        `The flow could not open: the endpoint could not decrypt the request (HTTP 421), twice, also after the public key was read again: its private key does not match the business public key uploaded for +${p.phone_number} (POST /whatsapp_business_encryption), or it does not decrypt as WhatsApp encrypts (RSA-OAEP with SHA-256 for the AES key, AES-128-GCM with the 16-byte tag appended for the data)`,
      );
      expect(res.text).not.toContain('class="flow-screen"');
    } finally {
      await uploadKey(endpoint.publicKeyPem);
    }
  });

  it("427: the flow_token is no longer valid: WhatsApp closes the flow, showing the endpoint's error_msg", async () => {
    const m = await sendFlow();
    const res = await answering({ json: { error_msg: 'This booking has expired' }, status: 427 }, () => open(m.id));
    expect(res.status).toBe(200);
    expect(unescape(res.text)).toContain('WhatsApp closed the flow: the endpoint answered HTTP 427: the flow_token is no longer valid, so WhatsApp closes the flow (and disables its button). The user sees: “This booking has expired”');
    expect(res.text).not.toContain('class="flow-screen"');
    expect(JSON.parse(pre(res.text, 'flow-exchange-response')!)).toEqual({ error_msg: 'This booking has expired' });
  });

  it('432: a refused signature is named, with the setting openwaba signs with', async () => {
    endpoint.appSecret = 'the endpoint expects another secret';
    try {
      const m = await sendFlow();
      const res = await open(m.id);
      expect(res.status).toBe(200);
      expect(endpointError(res.text)).toBe(
        "The flow could not open: the endpoint refused the request's signature (HTTP 432): openwaba signs X-Hub-Signature-256 (sha256=HMAC-SHA256 of the raw body) with OPENWABA_META_APP_SECRET; the endpoint must check it with the same secret",
      );
    } finally {
      endpoint.appSecret = APP_SECRET;
    }
  });

  it('another status: the page names it and the body, on the screen the user was on, never as a 5xx', async () => {
    const m = await sendFlow();
    const init = await answering({ status: 500, body: 'Internal <error>' }, () => open(m.id));
    expect(init.status).toBe(200);
    expect(endpointError(init.text)).toBe('The flow could not open: the endpoint answered HTTP 500 with “Internal <error>”; WhatsApp expects 200 with the encrypted response (or 421, 427, 432 for the cases those mean)');
    expect(init.text).toContain('Internal &lt;error&gt;');
    expect(pre(init.text, 'flow-exchange-raw')).toBe('Internal <error>');
    // On a screen: the user stays there, the choice made kept.
    const first = await open(m.id);
    const res = await answering({ status: 503, body: '' }, () => tap(m.id, first.text, 'Continue', { 'f.slot': 'tue' }));
    expect(res.status).toBe(200);
    expect(endpointError(res.text)).toBe('the endpoint answered HTTP 503 with an empty body; WhatsApp expects 200 with the encrypted response (or 421, 427, 432 for the cases those mean)');
    expect(res.text).toContain('<h1 id="flow-title">Pick a slot</h1>');
    expect(res.text).toContain('<option value="tue" selected>Tuesday</option>');
  });

  it.each<[string, EndpointReply, string]>([
    ['garbage', { status: 200, body: 'garbage, not base64!' }, 'the response is not base64: it must be base64(AES-128-GCM ciphertext || 16-byte tag)'],
    ['random bytes', { status: 200, body: crypto.randomBytes(48).toString('base64') }, 'the response was not base64 of AES-128-GCM with the flipped IV'],
    ['the IV not flipped', { json: { screen: 'PICK', data: {} }, iv: 'same' }, "the response was encrypted with the request's IV as it came; WhatsApp reads the response with the IV flipped (every byte XOR 0xFF)"],
    ['plain JSON', { status: 200, body: '{"screen":"PICK","data":{}}' }, 'the response is plain JSON, not encrypted'],
    ['a JSON array', { json: ['PICK'] }, 'the response decrypted, but is not a JSON object: ["PICK"]'],
    ['a screen not in the flow', { json: { screen: 'FOO', data: {} } }, "the endpoint's INIT response cannot be shown: screen \"FOO\" is not in the flow (its screens: PICK, DETAILS, CONFIRM)"],
    ['data of the wrong type', { json: { screen: 'PICK', data: { greeting: 42, slots: SLOTS } } }, 'the data for screen PICK does not fit the data the screen declares: "greeting" must be a string (got a number 42)'],
    ['data not an object', { json: { screen: 'PICK', data: 'hello' } }, '"data" must be an object (got a string)'],
    ['no screen', { json: { data: {} } }, 'the response names no screen; an INIT response is {"screen":"…","data":{…}}: the first screen of the flow and its data'],
    ['SUCCESS without params', { json: { screen: 'SUCCESS', data: {} } }, 'screen SUCCESS completes the flow and needs data.extension_message_response.params'],
    ['a body over 1 MiB', { status: 200, body: 'A'.repeat(1024 * 1024 + 10) }, "the endpoint's response is larger than 1048576 bytes"],
    ['more data than the phone carries', { json: { screen: 'PICK', data: { greeting: 'x'.repeat(50_000), slots: SLOTS } } }, 'the data for screen PICK is more than the sandbox phone can carry between its pages'],
  ])('an answer WhatsApp cannot read (%s) is named on the page', async (_label, reply, why) => {
    const m = await sendFlow();
    const before = inboundMessages(receiver).length;
    const res = await answering(reply, () => open(m.id));
    expect(res.status).toBe(200);
    expect(endpointError(res.text)).toContain(why);
    expect(res.text).not.toContain('class="flow-screen"');
    // The exchange panel is open on a failure, with the decrypted request.
    expect(res.text).toContain('<details class="flow-exchange" id="flow-exchange" open>');
    expect(JSON.parse(pre(res.text, 'flow-exchange-request')!)).toEqual({ version: '3.0', action: 'INIT', flow_token: m.token });
    await new Promise((r) => setTimeout(r, 50));
    expect(inboundMessages(receiver).length).toBe(before);
  });

  it('a declared property the answer leaves out is drawn empty, and the page says so', async () => {
    const m = await sendFlow();
    const res = await answering({ json: { screen: 'PICK', data: { slots: SLOTS } } }, () => open(m.id));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<p class="notice flow-notice" role="status">The endpoint gave screen PICK no value for &quot;greeting&quot;, which the screen declares: shown empty.</p>');
    expect(res.text).toContain('<option value="mon">Monday</option>');
    expect(endpointError(res.text)).toBeUndefined();
  });

  it("routing_model: an answer going to a screen the routing model does not allow from this one is refused; the user stays", async () => {
    const m = await sendFlow();
    const first = await open(m.id);
    const res = await answering({ json: { screen: 'CONFIRM', data: { summary: 'Skipped' } } }, () => tap(m.id, first.text, 'Jump ahead'));
    // The data_exchange, then the error notification WhatsApp sends after an invalid answer (phone-flow-error-notification.test.ts).
    expect(endpoint.decrypted().at(-2)).toEqual({ version: '3.0', action: 'data_exchange', screen: 'PICK', data: { jump: true }, flow_token: m.token });
    expect(endpoint.decrypted().at(-1)!.data!.error).toBe('invalid_screen_transition');
    expect(endpointError(res.text)).toBe(
      "the endpoint's data_exchange response cannot be shown: the flow's routing_model does not let PICK go to CONFIRM (routing_model.PICK: [\"DETAILS\"]); WhatsApp refuses a screen the routing model does not allow",
    );
    expect(res.text).toContain('<h1 id="flow-title">Pick a slot</h1>');
  });

  it('a timeout is said, the page never hangs (OPENWABA_FLOW_ENDPOINT_TIMEOUT, 10 s as WhatsApp by default)', async () => {
    expect(loadConfig({}).flowEndpointTimeoutMs).toBe(10_000);
    expect(loadConfig({ OPENWABA_FLOW_ENDPOINT_TIMEOUT: '2s' }).flowEndpointTimeoutMs).toBe(2_000);
    expect(() => loadConfig({ OPENWABA_FLOW_ENDPOINT_TIMEOUT: '2m' })).toThrow('OPENWABA_FLOW_ENDPOINT_TIMEOUT must be between 1ms and 60s, got "2m"');
    const m = await sendFlow();
    t.deps.config.flowEndpointTimeoutMs = 300;
    try {
      const started = Date.now();
      const res = await answering({ hang: true }, () => open(m.id));
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.status).toBe(200);
      expect(endpointError(res.text)).toBe(`The flow could not open: the endpoint timed out: no answer from ${endpoint.url} within 300 ms (WhatsApp waits 10 s)`);
      expect(res.text).toContain('no answer after');
    } finally {
      t.deps.config.flowEndpointTimeoutMs = 10_000;
    }
  });

  it('a redirect is not followed', async () => {
    const m = await sendFlow();
    const before = endpoint.requests.length;
    const res = await answering({ status: 307, headers: { location: `${endpoint.url}/elsewhere` } }, () => open(m.id));
    expect(endpointError(res.text)).toBe(
      `The flow could not open: the endpoint answered HTTP 307, a redirect to ${endpoint.url}/elsewhere: WhatsApp does not follow redirects (nor does the sandbox); answer at endpoint_uri itself`,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(endpoint.requests.length).toBe(before + 1);
    expect(endpoint.requests.filter((r) => r.path === '/elsewhere')).toEqual([]);
  });

  it('the strict URL policy: http, a private address and a name resolving to loopback are refused, nothing reaches them', async () => {
    // The machine's own name, which resolves to a loopback or private address but is not one by its name:
    // only the connect-time check (after DNS) can refuse it.
    const host = os.hostname();
    const addresses = await dns.lookup(host, { all: true });
    expect(isPrivateAddress(host), `${host} should not look private by its name`).toBe(false);
    expect(addresses.length > 0 && addresses.every((a) => isPrivateAddress(a.address)), `${host} should resolve to private addresses: ${JSON.stringify(addresses)}`).toBe(true);
    const setEndpoint = (uri: string) => t.deps.db.kysely.updateTable('flows').set({ endpoint_uri: uri }).where('id', '=', flowId).execute();
    const before = endpoint.requests.length;
    t.deps.config.webhookUrlPolicy = 'strict';
    try {
      const m = await sendFlow();
      expect(endpointError((await open(m.id)).text)).toBe('The flow could not open: not sent: endpoint_uri must use https (OPENWABA_WEBHOOK_URL_POLICY=strict)');
      await setEndpoint('https://127.0.0.1/flow');
      expect(endpointError((await open(m.id)).text)).toBe('The flow could not open: not sent: endpoint_uri must not point to a private, loopback, link-local or reserved address');
      await setEndpoint(`https://${host}/flow`);
      const res = await open(m.id);
      expect(endpointError(res.text)).toMatch(new RegExp(`^The flow could not open: the endpoint could not be reached: ${host} resolves to [^,]+, a private or reserved address \\(OPENWABA_WEBHOOK_URL_POLICY=strict\\)$`));
    } finally {
      t.deps.config.webhookUrlPolicy = 'local';
      await setEndpoint(`${endpoint.url}/flow`);
    }
    expect(endpoint.requests.length).toBe(before);
  });

  it("the flow's preview link shows its screens with their examples and does not call the endpoint", async () => {
    const link = await t.get(`${flowsPath()}/${flowId}`, { headers: partnerKey(p.partner_api_key), query: { fields: 'preview' } });
    expect(link.status, link.text).toBe(200);
    const path = new URL(link.body.preview.preview_url).pathname;
    const before = endpoint.requests.length;
    const page = await t.get(path);
    expect(page.status).toBe(200);
    expect(heading(page.text)).toBe('Hi');
    const body = new URLSearchParams({ _state: stateOf(page.text), _action: actionOf(page.text, 'Continue'), 'f.slot': 'mon' });
    const res = await t.post(path, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, raw: body.toString() });
    expect(res.status).toBe(200);
    expect(unescape(res.text)).toContain("This step needs the flow's data endpoint (a data_exchange action goes to the business's endpoint_uri, encrypted with its public key): a preview does not call it.");
    expect(endpoint.requests.length).toBe(before);
  });

  it('a flow without endpoint_uri says what it needs; the exchange kept in the session shows on the flow page again', async () => {
    const draft = await t.post(flowsPath(), {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'no endpoint yet', categories: ['OTHER'], flow_json: JSON.stringify(FLOW) },
    });
    expect(draft.status, draft.text).toBe(201);
    const m = await sendFlow({ flow_id: draft.body.id, mode: 'draft' });
    const before = endpoint.requests.length;
    const res = await open(m.id);
    expect(unescape(res.text)).toContain(
      `This flow needs its data endpoint (the message's flow_action is data_exchange: its first screen comes from the endpoint), but flow “no endpoint yet” has no endpoint_uri: set it (POST …/flows/${draft.body.id} with endpoint_uri) to where your endpoint listens.`,
    );
    expect(endpoint.requests.length).toBe(before);
    // The endpoint flow's last exchange is still shown on its page (another request of it replaces it).
    const m2 = await sendFlow();
    const opened = await open(m2.id);
    const again = await phone.post(flowPath(m2.id), { _state: stateOf(opened.text), _action: actionOf(opened.text, 'Continue') });
    expect(again.status).toBe(400);
    expect(JSON.parse(pre(again.text, 'flow-exchange-request')!)).toEqual({ version: '3.0', action: 'INIT', flow_token: m2.token });
  });
});
