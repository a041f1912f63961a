// pywa (github.com/david-lev/pywa), the Python Cloud API client, replayed against openwaba. pywa
// cannot be installed here (no PyPI), so each request below is the one pywa builds, transcribed
// from its source at commit 02d8e0a033d2aecdca324cdd0a4b7763df640667 (pywa/api.py GraphAPI,
// pywa/_helpers.py, pywa/types/callback.py, pywa/types/message_status.py, pywa/types/templates.py)
// and pywa/types/user.py at 0bcf1ad18c060843e7bb65f015b09cd077f45dd6. Every request names the pywa
// function it mirrors.
//
// The only adaptation is a 360dialog user's: pywa's httpx session has base_url
// https://graph.facebook.com/v<version> and `Authorization: Bearer <token>`; here the
// /<phone_id> prefix is dropped (reference §4) and the token goes in D360-API-KEY, also on the
// media download (GraphAPI.stream_media_bytes copies the session headers).
//
// What the existing client tests already cover (text, every media by link and id, contacts,
// location, reactions, the common interactive types, mark-as-read with the typing indicator,
// positional templates) is not repeated; this file keeps to what pywa builds differently.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256 } from './media-fixtures.ts';

const WAMID = /^wamid\.[\w=+/-]+$/;
/** pywa's User-Agent (GraphAPI.__init__); sent on every request. */
const UA = 'PyWa/3.0.0';

describeEachDb('client: pywa (its requests replayed) against the Cloud Messaging API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** Meta's phone_number_id of the channel: pywa's phone_id, and metadata.phone_number_id in webhooks. */
  let phoneId: string;
  const USER = '4917612340301';
  let inboundId: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const headers = () => ({ ...key(), 'user-agent': UA });

  /**
   * GraphAPI.send_message: POST /{sender}/messages with json=_filter_none(messaging_product,
   * recipient_type, type, to, recipient, context, biz_opaque_callback_data, **{typ: msg}) —
   * None values dropped, keys in that order. SentMessage.from_sent_update then reads
   * messages[0].id and contacts[0] (input, wa_id).
   */
  async function sendMessage(typ: string, msg: unknown, opts: { to?: string; reply?: string; tracker?: string } = {}) {
    const to = opts.to ?? USER;
    const json: Record<string, unknown> = { messaging_product: 'whatsapp', recipient_type: 'individual', type: typ, to };
    if (opts.reply) json.context = { message_id: opts.reply };
    if (opts.tracker) json.biz_opaque_callback_data = opts.tracker;
    json[typ] = msg;
    const res = await t.post('/messages', { headers: headers(), json });
    if (res.status !== 200) throw new Error(`openwaba refused pywa's ${typ}: ${res.status} ${res.text}`);
    expect(res.body.messages[0].id).toMatch(WAMID);
    expect(res.body.contacts[0]).toMatchObject({ input: to, wa_id: to });
    return res.body.messages[0].id as string;
  }

  /** The stored content of an outbound message (its type object). */
  async function stored(id: string) {
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'context_id']).where('channel_id', '=', p.channel_id).where('id', '=', id).executeTakeFirstOrThrow();
    return { ...row, content: (JSON.parse(row.content) as Record<string, unknown>)[row.type] as Record<string, unknown> };
  }

  /**
   * GraphAPI.upload_media: multipart (httpx files=) with, in this order, file=(filename, bytes,
   * mime_type), messaging_product=whatsapp, type=<mime_type>, and ttl_minutes when given.
   * internal_upload_media reads ["id"].
   */
  async function upload(name: string, extra: Record<string, string> = {}) {
    const s = SAMPLES.find((x) => x.name === name)!;
    const fd = new FormData();
    fd.append('file', new Blob([s.data], { type: s.mime }), s.name);
    fd.append('messaging_product', 'whatsapp');
    fd.append('type', s.mime);
    for (const [k, v] of Object.entries(extra)) fd.append(k, v);
    const res = await fetch(`${t.baseUrl}/media`, { method: 'POST', body: fd, headers: headers() });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, body, sample: s };
  }

  const inbound = async (json: Record<string, unknown>) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };

  /** The Cloud webhook that carried a given message or status id (the whole update, as pywa gets it). */
  const update = (what: string, pick: (value: any) => boolean) =>
    receiver.waitForBody(what, (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.field === 'messages' && pick(b.entry[0].changes[0].value)));

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    phoneId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    const hook = await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh` } });
    expect(hook.status, hook.text).toBe(200);
    inboundId = await inbound({ from: USER, name: 'Dana', type: 'text', text: { body: 'hello pywa' } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('send_message: text with preview_url false and a CallbackData tracker; reply buttons and a section list with text header and footer', async () => {
    // client.send_message without buttons: msg={"body", "preview_url"} (preview_url always sent);
    // tracker=CallbackData → helpers.resolve_tracker_param → CallbackData.to_str() "<id>~<f1>~<f2>"
    // (§ for True, ¤ for None).
    const tracker = '0~42~§~¤';
    const text = await sendMessage('text', { body: 'Hi from pywa', preview_url: false }, { tracker });
    expect((await stored(text)).content).toEqual({ body: 'Hi from pywa', preview_url: false });

    // helpers.get_interactive_msg(typ, action, header, body, footer): {type, action, header?, body?, footer?};
    // resolve_buttons_param: a list of Button → {"buttons": tuple(Button.to_dict())} = [{type:"reply", reply:{id, title}}].
    const buttons = await sendMessage(
      'interactive',
      {
        type: 'button',
        action: { buttons: [{ type: 'reply', reply: { id: '1~7~§', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] },
        header: { type: 'text', text: 'Booking' },
        body: { text: 'Shall we book?' },
        footer: { text: 'pywa' },
      },
      { reply: inboundId },
    );
    expect(await stored(buttons)).toMatchObject({ context_id: inboundId, content: { type: 'button', action: { buttons: [{ reply: { id: '1~7~§' } }, {}] } } });

    // SectionList.to_dict: {"button", "sections": [{title, rows:[{id, title, description?}]}]} — no
    // action name; SectionRow leaves description out when not given.
    const list = await sendMessage('interactive', {
      type: 'list',
      action: {
        button: 'Menu',
        sections: [
          { title: 'Mains', rows: [{ id: 'pizza', title: 'Pizza', description: 'Margherita' }, { id: 'pasta', title: 'Pasta' }] },
          { title: 'Drinks', rows: [{ id: 'water', title: 'Water' }] },
        ],
      },
      header: { type: 'text', text: 'Our menu' },
      body: { text: 'What would you like?' },
    });
    expect((await stored(list)).content).toMatchObject({ type: 'list', action: { button: 'Menu' } });
  });

  it('send_image/send_video/send_document with a URLButton: an interactive cta_url with a media header (no caption in the header)', async () => {
    // client.send_image(buttons=URLButton): get_interactive_msg(typ=cta_url, action=URLButton.to_dict()
    // {"name":"cta_url","parameters":{display_text,url}}, header={"type":"image","image":{"link"}}, body=caption).
    const img = await sendMessage('interactive', {
      type: 'cta_url',
      action: { name: 'cta_url', parameters: { display_text: 'Shop now', url: 'https://example.com/shop' } },
      header: { type: 'image', image: { link: 'https://cdn.example.com/sale.jpg' } },
      body: { text: 'Spring sale' },
    });
    expect((await stored(img)).content).toMatchObject({ header: { type: 'image', image: { link: 'https://cdn.example.com/sale.jpg' } } });
    // client.send_document(buttons=…): the document header carries the filename too.
    await sendMessage('interactive', {
      type: 'cta_url',
      action: { name: 'cta_url', parameters: { display_text: 'Pay', url: 'https://example.com/pay' } },
      header: { type: 'document', document: { link: 'https://cdn.example.com/invoice.pdf', filename: 'invoice.pdf' } },
      body: { text: 'Your invoice' },
      footer: { text: 'Thank you' },
    });
  });

  it('media sends: a document by URL carries the URL\'s file name, audio as a voice note, a sticker by an uploaded id', async () => {
    // helpers.resolve_media_param for an external URL returns filename or Path(url).name, and
    // get_media_msg adds "filename" whenever one is known: {"link", "caption"?, "filename"}.
    const doc = await sendMessage('document', { link: 'https://cdn.example.com/files/report-2025.pdf', caption: 'The report', filename: 'report-2025.pdf' });
    expect((await stored(doc)).content).toEqual({ link: 'https://cdn.example.com/files/report-2025.pdf', caption: 'The report', filename: 'report-2025.pdf' });
    // client.send_voice / send_audio(is_voice=True): get_media_msg(..., is_voice=True) → {"id", "voice": true}.
    const ogg = await upload('voice.ogg');
    expect(ogg.status, JSON.stringify(ogg.body)).toBe(200);
    const voice = await sendMessage('audio', { id: ogg.body.id, voice: true });
    expect((await stored(voice)).content).toEqual({ id: ogg.body.id, voice: true });
    const webp = await upload('static.webp');
    expect(webp.status).toBe(200);
    await sendMessage('sticker', { id: webp.body.id });
  });

  it('FlowButton.to_dict: mode, flow_message_version as a string, a null flow_token by default, and flow_action only when set', async () => {
    const created = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'pywa signup', categories: ['SIGN_UP'], flow_json: JSON.stringify(MINIMAL_FLOW_JSON), publish: true },
    });
    expect(created.status, created.text).toBe(201);
    const flowId = created.body.id as string;
    const firstScreen = MINIMAL_FLOW_JSON.screens[0]!.id;
    // FlowButton(title, flow_id, flow_token, flow_action_type=NAVIGATE, flow_action_screen, flow_action_payload).
    const nav = await sendMessage('interactive', {
      type: 'flow',
      action: {
        name: 'flow',
        parameters: {
          mode: 'published',
          flow_message_version: '3',
          flow_token: 'signup-1',
          flow_id: flowId,
          flow_cta: 'Sign up',
          flow_action: 'navigate',
          flow_action_payload: { screen: firstScreen, data: { plan: 'pro' } },
        },
      },
      body: { text: 'Join in two taps' },
    });
    expect((await stored(nav)).content).toMatchObject({ type: 'flow', action: { parameters: { flow_id: flowId, flow_action_payload: { screen: firstScreen } } } });
    // FlowButton(title, flow_name, flow_action_type=NAVIGATE, flow_action_screen) with flow_token
    // left at its default: to_dict writes "flow_token": None unconditionally, so JSON null goes out.
    // Meta's flow_token is optional (default "unused"); openwaba takes the null as absent.
    const byName = await sendMessage('interactive', {
      type: 'flow',
      action: {
        name: 'flow',
        parameters: { mode: 'published', flow_message_version: '3', flow_token: null, flow_name: 'pywa signup', flow_cta: 'Sign up', flow_action: 'navigate', flow_action_payload: { screen: firstScreen } },
      },
      body: { text: 'Join in two taps' },
    });
    const kept = (await stored(byName)).content as { action: { parameters: Record<string, unknown> } };
    expect(kept.action.parameters).toMatchObject({ flow_name: 'pywa signup', flow_action: 'navigate' });
    expect(kept.action.parameters).not.toHaveProperty('flow_token');
    // FlowButton with flow_action_type=DATA_EXCHANGE: flow_action written, no flow_action_payload.
    await sendMessage('interactive', {
      type: 'flow',
      action: { name: 'flow', parameters: { mode: 'published', flow_message_version: '3', flow_token: null, flow_id: flowId, flow_cta: 'Continue', flow_action: 'data_exchange' } },
      body: { text: 'Continue where you left off' },
    });
    // FlowButton with no flow_action_type at all writes neither flow_action nor flow_action_payload.
    // Meta documents flow_action as defaulting to "navigate" and flow_action_payload as required
    // for navigate, so openwaba refuses it as Meta documents; pywa gets an error it can parse
    // (GraphAPI._extract_error → WhatsAppError.from_dict: code, message, error_data.details).
    const bare = await t.post('/messages', {
      headers: headers(),
      json: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        type: 'interactive',
        to: USER,
        interactive: { type: 'flow', action: { name: 'flow', parameters: { mode: 'published', flow_message_version: '3', flow_token: null, flow_id: flowId, flow_cta: 'Sign up' } }, body: { text: 'Join' } },
      },
    });
    expect(bare.status).toBe(400);
    expect(bare.body.error).toMatchObject({ code: 100, message: expect.any(String), error_data: { details: expect.stringContaining('flow_action_payload') } });
  });

  it('media: upload_media (multipart with type, and ttl_minutes) → get_media_url → stream_media_bytes → delete_media(phone_number_id)', async () => {
    const up = await upload('chart.png');
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const id = up.body.id as string;

    // GraphAPI.get_media_url: GET /{media_id}; MediaUrlResponse reads url, mime_type, sha256, file_size.
    const info = await t.get(`/${id}`, { headers: headers() });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toMatchObject({ url: expect.any(String), mime_type: 'image/png', sha256: sha256(up.sample.data), file_size: up.sample.data.length, id });
    expect(typeof info.body.file_size).toBe('number');

    // GraphAPI.stream_media_bytes: GET <url> with the session's headers, follow_redirects=True.
    const file = await fetch(info.body.url, { headers: headers(), redirect: 'follow' });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(up.sample.data)).toBe(true);

    // GraphAPI.delete_media: DELETE /{media_id}, params={"phone_number_id": …} when given.
    const del = await t.delete(`/${id}`, { headers: headers(), query: { phone_number_id: phoneId } });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
    const gone = await t.get(`/${id}`, { headers: headers() });
    // GraphAPI._extract_error → WhatsAppError.from_dict: error.code, error.message, error.fbtrace_id;
    // error.error_data.details only when there (Meta's 400 for a node that is gone has none).
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException', message: expect.stringContaining(`Object with ID '${id}' does not exist`), fbtrace_id: expect.any(String) });

    // client.upload_media(ttl_minutes=…): the multipart gets a ttl_minutes field (No Storage numbers).
    const ttl = await upload('photo.jpg', { ttl_minutes: '120' });
    expect(ttl.status, JSON.stringify(ttl.body)).toBe(200);
    expect(ttl.body.id).toMatch(/^\d+$/);
  });

  it('business profile: get with fields (query), update with messaging_product in the JSON', async () => {
    // GraphAPI.update_business_profile: data.update(messaging_product="whatsapp"), json=data → {"success": true}.
    const upd = await t.post('/whatsapp_business_profile', {
      headers: headers(),
      json: { about: 'Built with pywa', address: 'Pariser Platz 1', description: 'A test shop', email: 'shop@example.com', websites: ['https://example.com'], vertical: 'RETAIL', messaging_product: 'whatsapp' },
    });
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body).toEqual({ success: true });
    // GraphAPI.get_business_profile: params={"fields": ",".join(fields)}; BusinessProfile.from_dict reads data[0].
    const fields = 'about,address,description,email,profile_picture_url,websites,vertical';
    const got = await t.get('/whatsapp_business_profile', { headers: headers(), query: { fields } });
    expect(got.status, got.text).toBe(200);
    expect(got.body.data[0]).toMatchObject({ about: 'Built with pywa', address: 'Pariser Platz 1', description: 'A test shop', email: 'shop@example.com', websites: ['https://example.com'], vertical: 'RETAIL' });
  });

  it('webhooks: a text, a button reply and a list reply with context, and the statuses of a reply, carry every field pywa requires', async () => {
    const user = '4917612340302';
    const first = await inbound({ from: user, name: 'Eli', type: 'text', text: { body: 'Hi' } });
    // pywa/types/user.py User.from_contact: data["user_id"] and data["profile"] are required
    // (KeyError otherwise); wa_id, profile.name, username, parent_user_id are .get().
    // BaseUserUpdate: entry[0].id, value.metadata (Metadata.from_dict), messages[0].id/.type/.timestamp.
    const textUpdate = await update(`text ${first}`, (v) => v.messages?.[0]?.id === first);
    const entry = textUpdate.entry[0];
    expect(typeof entry.id).toBe('string');
    const value = entry.changes[0].value;
    expect(value.metadata).toEqual({ display_phone_number: expect.any(String), phone_number_id: phoneId });
    expect(value.contacts[0]).toMatchObject({ user_id: expect.any(String), profile: { name: 'Eli' }, wa_id: user });
    expect(value.messages[0]).toMatchObject({ id: first, type: 'text', text: { body: 'Hi' }, timestamp: expect.stringMatching(/^\d+$/) });

    // Our reply with buttons; the user presses one, then picks a list row, both quoting it.
    const asked = await sendMessage('interactive', { type: 'button', action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] }, body: { text: 'OK?' } }, { to: user });
    const pressed = await inbound({ from: user, name: 'Eli', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }, context: { message_id: asked } });
    // callback.py CallbackButton.from_update: msg["interactive"]["button_reply"]["title"/"id"];
    // context is .get() (reply_to_message only when context.id).
    const btn = (await update(`button ${pressed}`, (v) => v.messages?.[0]?.id === pressed)).entry[0].changes[0].value;
    expect(btn.contacts[0]).toMatchObject({ user_id: expect.any(String), profile: expect.any(Object) });
    expect(btn.messages[0]).toMatchObject({ type: 'interactive', timestamp: expect.stringMatching(/^\d+$/), interactive: { button_reply: { id: 'yes', title: 'Yes' } }, context: { id: asked } });

    const picked = await inbound({ from: user, name: 'Eli', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'pizza', title: 'Pizza' } }, context: { message_id: asked } });
    // CallbackSelection.from_update: ReplyToMessage.from_dict(msg["context"]) is required here, and
    // list_reply["id"]/["title"]; description is .get().
    const sel = (await update(`list ${picked}`, (v) => v.messages?.[0]?.id === picked)).entry[0].changes[0].value;
    expect(sel.messages[0].context).toMatchObject({ id: asked, from: expect.any(String) });
    expect(sel.messages[0].interactive.list_reply).toMatchObject({ id: 'pizza', title: 'Pizza' });

    // message_status.py MessageStatus.from_update: value["contacts"][0] is required (its User reads
    // .get() only), statuses[0]["id"/"status"/"timestamp"]; conversation (when present) needs id and
    // origin.type; pricing (when present) needs pricing_model and category.
    const statuses = await receiver.waitForBody(`sent, delivered, read of ${asked}`, (bodies) => {
      const s = bodies.filter((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === asked);
      return s.length >= 3 ? s : undefined;
    });
    for (const b of statuses) {
      const v = b.entry[0].changes[0].value;
      expect(Array.isArray(v.contacts), JSON.stringify(v)).toBe(true);
      expect(v.contacts[0]).toBeTypeOf('object');
      expect(v.metadata.phone_number_id).toBe(phoneId);
      const s = v.statuses[0];
      expect(['sent', 'delivered', 'read']).toContain(s.status);
      expect(s.timestamp).toMatch(/^\d+$/);
      if (s.conversation) expect(s.conversation).toMatchObject({ id: expect.any(String), origin: { type: expect.any(String) } });
      if (s.pricing) expect(s.pricing).toMatchObject({ pricing_model: expect.any(String), category: expect.any(String) });
    }
    expect(statuses.map((b) => b.entry[0].changes[0].value.statuses[0].status).sort()).toEqual(['delivered', 'read', 'sent']);
  });

  it('templates: get_templates with fields and limit, and the review webhook carries what TemplateStatusUpdate requires', async () => {
    // Template creation through the WABA's API (what pywa's create_template posts).
    const created = await t.post('/message_templates', {
      headers: headers(),
      json: { name: 'pywa_order', category: 'UTILITY', language: 'en_US', parameter_format: 'named', components: [{ type: 'BODY', text: 'Hi {{name}}, order {{order}} shipped.', example: { body_text_named_params: [{ param_name: 'name', example: 'Dana' }, { param_name: 'order', example: 'A1' }] } }] },
    });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ id: expect.any(String), status: expect.any(String), category: 'UTILITY' });

    // templates.py TemplateStatusUpdate.from_update: entry["id"], entry["time"], value["event"],
    // message_template_id, message_template_name, message_template_language.
    const review = await receiver.waitForBody('the review of pywa_order', (bodies) =>
      bodies.find((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update' && b.entry[0].changes[0].value.message_template_name === 'pywa_order'),
    );
    expect(review.entry[0]).toMatchObject({ id: expect.any(String), time: expect.any(Number) });
    expect(review.entry[0].changes[0].value).toMatchObject({ event: 'APPROVED', message_template_id: expect.anything(), message_template_language: 'en_US' });

    // GraphAPI.get_templates: params fields=",".join(fields), plus pagination (limit) and filters.
    const list = await t.get('/message_templates', { headers: headers(), query: { fields: 'name,status,category,language,components,parameter_format', limit: '50', name: 'pywa_order' } });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data[0]).toMatchObject({ name: 'pywa_order', status: 'APPROVED', category: 'UTILITY', language: 'en_US' });

    // Template.to_dict for a named-parameter body: parameters carry parameter_name.
    const sent = await sendMessage('template', {
      name: 'pywa_order',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'name', text: 'Dana' }, { type: 'text', parameter_name: 'order', text: 'A1' }] }],
    });
    await waitUntil(`${sent} stored`, async () => (await stored(sent)).content);
  });
});
