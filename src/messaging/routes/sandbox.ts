// The sandbox network's own API (an openwaba extension): make a simulated user write to the
// channel, make users unreachable or block the business, and see the channel's messages.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { assertSandboxChannel, receiveInbound } from '../inbound.ts';
import { arr, bool, fail, isObj, num, obj, oneOf, onlyKeys, optStr, recipient, str, type Obj } from '../validate/check.ts';
import { windowOpen } from '../../network/sandbox.ts';
import { typingUntil } from '../typing-indicator.ts';
import { isBsuid, sandboxBsuid } from '../../network/bsuid.ts';
import type { ChannelRow } from '../../services/channels.ts';
import type { Deps } from '../../deps.ts';
import { liveMedia } from '../media/store.ts';
import { sendableAs } from '../media/types.ts';
import { MEDIA_KINDS, type MediaKind } from '../validate/types/media.ts';
import { callPermissionReply } from '../call-permission-reply.ts';
import { completeNfmReply, isNfmReply, nfmReplyContent } from '../flows/nfm-reply.ts';
import { refuseBlockedSender } from '../blocklist.ts';
import { REQUEST_WELCOME, requestWelcome } from '../request-welcome.ts';
import { userCalls } from '../sandbox-user-calls.ts';
import { parseUserCallAnswer, shownCallAnswer } from '../sandbox-call-answer.ts';
import { groupOfInbound, receiveGroupMessage } from '../group-inbound.ts';
import { EXTRA_INBOUND_TYPES, inboundContext, inboundReferral, isExtraInboundType, orderContent, systemRequest, unsupportedContent, userChangedNumber } from '../sandbox-inbound-kinds.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Sandbox (extension)'];
const INBOUND_TYPES = ['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button', 'reaction'] as const;
const isMediaKind = (t: string): t is MediaKind => (MEDIA_KINDS as readonly string[]).includes(t);

/** The type object a simulated user sends, checked and shaped as WhatsApp would deliver it (`now`: when it is sent). */
function inboundContent(type: (typeof INBOUND_TYPES)[number], v: unknown, now: Date): Obj | unknown[] {
  const f = type;
  switch (type) {
    case 'text': {
      const o = obj(v, f);
      onlyKeys(o, f, ['body']);
      return { body: str(o.body, 'text.body', { max: 4096 }) };
    }
    case 'location': {
      const o = obj(v, f);
      onlyKeys(o, f, ['latitude', 'longitude', 'name', 'address']);
      return {
        latitude: num(o.latitude, 'location.latitude', { min: -90, max: 90 }),
        longitude: num(o.longitude, 'location.longitude', { min: -180, max: 180 }),
        ...(o.name !== undefined ? { name: optStr(o.name, 'location.name', { max: 1000 }) } : {}),
        ...(o.address !== undefined ? { address: optStr(o.address, 'location.address', { max: 1000 }) } : {}),
      };
    }
    case 'interactive': {
      const o = obj(v, f);
      // A completed WhatsApp Flow (flows/nfm-reply.ts).
      if (o.type === 'nfm_reply') return nfmReplyContent(o);
      const kind = oneOf(o.type, 'interactive.type', ['button_reply', 'list_reply', 'call_permission_reply'] as const);
      // The answer to a call permission request (interactive call_permission_request, or its template).
      if (kind === 'call_permission_reply') return { type: kind, [kind]: callPermissionReply(o[kind], `interactive.${kind}`, now) };
      const r = obj(o[kind], `interactive.${kind}`);
      return {
        type: kind,
        [kind]: {
          id: str(r.id, `interactive.${kind}.id`, { max: 256 }),
          title: str(r.title, `interactive.${kind}.title`, { max: 72 }),
          ...(kind === 'list_reply' && r.description !== undefined ? { description: optStr(r.description, 'interactive.list_reply.description', { max: 72 }) } : {}),
        },
      };
    }
    case 'button': {
      const o = obj(v, f);
      return { text: str(o.text, 'button.text', { max: 256 }), payload: str(o.payload ?? o.text, 'button.payload', { max: 1024 }) };
    }
    case 'reaction': {
      const o = obj(v, f);
      if (typeof o.emoji !== 'string') throw fail('reaction.emoji', 'must be a string');
      return { message_id: str(o.message_id, 'reaction.message_id', { max: 256 }), emoji: o.emoji };
    }
    case 'contacts': {
      return arr(v, f, { min: 1, max: 20 });
    }
    default:
      return inboundMediaFields(type, v);
  }
}

/**
 * A media message from a simulated user, its fields checked: the id of a file uploaded to this
 * channel (the sandbox phone uploads first), completed from the upload by withStoredMedia.
 */
function inboundMediaFields(type: MediaKind, v: unknown): Obj {
  const f = type;
  const o = obj(v, f);
  onlyKeys(o, f, ['id', 'mime_type', 'sha256', 'caption', 'filename', 'voice', 'animated']);
  const fields: Obj = {
    id: str(o.id, `${f}.id`, { max: 256 }),
    ...(o.mime_type !== undefined ? { mime_type: str(o.mime_type, `${f}.mime_type`, { max: 255 }) } : {}),
    ...(o.sha256 !== undefined ? { sha256: str(o.sha256, `${f}.sha256`, { max: 128 }) } : {}),
    ...(o.caption !== undefined ? { caption: optStr(o.caption, `${f}.caption`, { max: 1024 }) } : {}),
    ...(o.filename !== undefined ? { filename: optStr(o.filename, `${f}.filename`, { max: 240 }) } : {}),
    ...(o.voice !== undefined ? { voice: bool(o.voice, `${f}.voice`) } : {}),
    ...(o.animated !== undefined ? { animated: bool(o.animated, `${f}.animated`) } : {}),
  };
  return fields;
}

/**
 * The media fields with the upload's stored type and sha256, which the webhook shows as
 * WhatsApp's does; a mime_type or sha256 the caller gave must be those. An image, audio, video
 * or sticker must be a file of that kind; a document may be any file (people send pictures as
 * documents). Else a 400 naming what is wrong.
 */
async function withStoredMedia(deps: Deps, channelId: string, type: MediaKind, fields: Obj): Promise<Obj> {
  const { id, mime_type: mime, sha256, ...rest } = fields;
  const row = await liveMedia(deps, channelId, id as string);
  if (!row) throw fail(`${type}.id`, `no uploaded media ${String(id).slice(0, 64)} on this number (upload the file with POST /media first; media expires after 30 days)`);
  if (!sendableAs(type, row.mime_type)) throw fail(`${type}.id`, `media ${row.id} is ${row.mime_type}, not of kind ${type}`);
  if (mime !== undefined && mime !== row.mime_type) throw fail(`${type}.mime_type`, `must be the upload's type, ${row.mime_type}`);
  if (sha256 !== undefined && sha256 !== row.sha256) throw fail(`${type}.sha256`, "must be the upload's sha256");
  return { id, mime_type: row.mime_type, sha256: row.sha256, ...rest };
}

const User = Type.Object({
  wa_id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  last_inbound_at: Type.Union([Type.String(), Type.Null()]),
  window_open: Type.Boolean(),
  unreachable: Type.Boolean(),
  blocked: Type.Boolean(),
  username: Type.Union([Type.String(), Type.Null()]),
  hide_number: Type.Boolean(),
  /** The user's BSUID: what a reply to a user who hides their number goes to ("recipient"). */
  user_id: Type.Union([Type.String(), Type.Null()]),
  /**
   * Until when the user sees the business "typing…" (a mark-as-read with typing_indicator; the
   * business's next message or 25 seconds end it), or null.
   */
  business_typing_until: Type.Union([Type.String(), Type.Null()]),
  /** What the user does when the business calls them: "answer", "decline" (optionally "=<delay>"), "ignore", or "default" (OPENWABA_SANDBOX_CALL_ANSWER). */
  calls: Type.String(),
});

/**
 * A WhatsApp username as Meta documents its format (user usernames "have the same format
 * restrictions as business usernames"; those, as dualhook.com/docs/whatsapp-business-usernames
 * gives them): English letters, digits, periods and underscores, 3 to 35 characters, at least one
 * letter, no period first or last, no two periods in a row, not starting with www, not ending in a
 * domain-like suffix. Case is ignored by Meta when comparing; the name is kept as given.
 */
const USERNAME = /^(?=.*[A-Za-z])(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9._]{3,35}$/;
const DOMAIN_SUFFIXES = ['.com', '.org', '.net', '.edu', '.gov', '.mil', '.us', '.in', '.html'];

function username(v: unknown): string | null {
  if (v === null) return null;
  const u = str(v, 'username', { max: 35 });
  if (!USERNAME.test(u)) {
    throw fail('username', 'must be 3 to 35 English letters, digits, periods and underscores, with at least one letter, no period first or last and no two periods in a row');
  }
  const lower = u.toLowerCase();
  if (lower.startsWith('www')) throw fail('username', 'must not start with www');
  if (DOMAIN_SUFFIXES.some((d) => lower.endsWith(d))) throw fail('username', 'must not end with a domain such as .com');
  return u;
}

export const sandboxRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.post(
    '/sandbox/v1/inbound',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: 'A simulated user writes to the channel: {from, name, type, text|image|location|interactive|button|reaction|order|unsupported|system|…}, or opens it (type request_welcome)',
        description:
          'interactive: a button_reply or list_reply {id, title}, or a call_permission_reply {response: "accept"|"reject", is_permanent?, ' +
          'expiration_timestamp? (a temporary acceptance: by default 7 days from now), response_source?: "user_action"|"automatic"}, ' +
          'or an nfm_reply {name: "flow", body?: "Sent", response_json: JSON text or object} answering a flow message named in context.message_id. ' +
          'type call ({from, type: "call"}): the user calls the business (calling must be ENABLED): a calls connect webhook with an SDP offer; the answer names the call id. ' +
          'group_id: a participant writes to one of the number\'s groups (not an interactive message); the webhook\'s message carries group_id. ' +
          'context: {message_id} (a reply), {forwarded: true} and/or {frequently_forwarded: true}, or {message_id, referred_product: {catalog_id, product_retailer_id}}. ' +
          'referral: the ad or post the user came from {source_url, source_id, source_type: "ad"|"post", headline?, body?, media_type?: "image"|"video", image_url?, video_url?, thumbnail_url?, ctwa_clid?, welcome_message?: {text}}. ' +
          'order: {catalog_id, text?, product_items: [{product_retailer_id, quantity, item_price, currency}]}. ' +
          'unsupported: {type?: what the user sent (default "unknown"), code?: 131051|131060}, delivered with Meta\'s errors. ' +
          'system: {type: "user_changed_number", wa_id: the new number}, delivered without contacts; the simulated user stays under the old number.',
        body: Type.Unknown(),
        response: {
          200: Type.Object({
            messages: Type.Array(Type.Object({ id: Type.String() })),
            contacts: Type.Array(Type.Object({ wa_id: Type.String() })),
            /** A call (type call): its id, as the connect webhook names it. */
            calls: Type.Optional(Type.Array(Type.Object({ id: Type.String() }))),
          }),
        },
      },
    },
    async (request) => {
      // A channel on Meta's Cloud API hears from real WhatsApp users only (Meta's webhooks): 409 before anything is checked.
      assertSandboxChannel(request.channel!);
      const b = request.body;
      if (!isObj(b)) throw fail('body', 'must be a JSON object');
      // The user opens the chat (no body of its own): request_welcome, with the welcome message on (request-welcome.ts).
      if (b.type === REQUEST_WELCOME) {
        onlyKeys(b, 'body', ['from', 'name', 'type']);
        const from = recipient(b.from, 'from');
        const r = (await requestWelcome(deps, request.channel!, { from, name: b.name === undefined ? undefined : str(b.name, 'name', { max: 256 }) }))!;
        return { messages: [{ id: r.id }], contacts: [{ wa_id: from }] };
      }
      // The user calls the business (Calling API): a connect webhook with the user's SDP offer (sandbox-user-calls.ts).
      if (b.type === 'call') {
        onlyKeys(b, 'body', ['from', 'name', 'type']);
        const from = recipient(b.from, 'from');
        // A name is checked as for messages but not shown: the call webhooks carry no contacts.
        if (b.name !== undefined) str(b.name, 'name', { max: 256 });
        const call = await userCalls(deps, request.channel!, from);
        return { messages: [], contacts: [{ wa_id: from }], calls: [{ id: call.id }] };
      }
      const type = b.type === undefined ? 'text' : oneOf(b.type, 'type', [...INBOUND_TYPES, ...EXTRA_INBOUND_TYPES]);
      for (const k of Object.keys(b)) if (!['from', 'name', 'type', 'context', 'group_id', 'referral', type].includes(k)) throw fail(k, 'is not a known field of an inbound message');
      const from = recipient(b.from, 'from');
      // A cart, an unsupported message or a system notice is the user's own chat (sandbox-inbound-kinds.ts), as is an ad's referral.
      if (b.group_id !== undefined && isExtraInboundType(type)) throw fail('group_id', `${type} messages are not sent in groups`);
      if (b.group_id !== undefined && b.referral !== undefined) throw fail('referral', 'a group message comes from no ad');
      if (isExtraInboundType(type)) return receiveExtraKind(request.channel!, b, type, from);
      // A participant writing to one of the number's groups (Groups API: group-inbound.ts).
      const groupId = b.group_id === undefined ? undefined : groupOfInbound(b.group_id, type);
      // Left out: the user keeps the name they have (a new user gets "User <last 4 digits>").
      const name = b.name === undefined ? undefined : str(b.name, 'name', { max: 256 });
      const context = b.context === undefined ? undefined : inboundContext(b.context, request.channel!.phone_number);
      if (groupId !== undefined && context !== undefined && context.id === undefined) throw fail('context', 'a group message takes a reply context {message_id} only');
      const extra = b.referral === undefined ? undefined : { referral: inboundReferral(b.referral) };
      const checked = inboundContent(type as (typeof INBOUND_TYPES)[number], b[type], deps.clock.now());
      // A blocked user's message is not delivered (blocklist.ts): refused before a flow's answer completes anything.
      await refuseBlockedSender(deps.db.kysely, request.channel!.id, from);
      // A flow's answer replies to a flow message sent to this user, and carries its flow_token.
      if (isNfmReply(checked)) await completeNfmReply(deps, request.channel!, from, context?.id !== undefined ? { id: context.id } : undefined, checked);
      // Media: completed from the channel's upload.
      const content = isMediaKind(type) ? await withStoredMedia(deps, request.channel!.id, type, checked as Obj) : checked;
      if (groupId !== undefined) {
        const g = await receiveGroupMessage(deps, request.channel!, groupId, { from, name, type, content, context });
        return { messages: [{ id: g.id }], contacts: [{ wa_id: from }] };
      }
      const r = await receiveInbound(deps, request.channel!, { from, name, type, content, context, ...(extra ? { extra } : {}) });
      return { messages: [{ id: r.id }], contacts: [{ wa_id: from }] };
    },
  );

  /** An order, unsupported or system message from a simulated user (sandbox-inbound-kinds.ts): its fields checked, then delivered. */
  async function receiveExtraKind(channel: ChannelRow, b: Obj, type: (typeof EXTRA_INBOUND_TYPES)[number], from: string) {
    const name = b.name === undefined ? undefined : str(b.name, 'name', { max: 256 });
    const referral = b.referral === undefined ? undefined : inboundReferral(b.referral);
    if (type === 'system') {
      // WhatsApp's notice, not the user writing: no profile name, no reply, no ad.
      for (const k of ['name', 'context', 'referral'] as const) if (b[k] !== undefined) throw fail(k, 'a system message has none');
      const req = systemRequest(b.system, from);
      const user = await deps.db.kysely.selectFrom('sandbox_users').select(['name', 'hide_number']).where('channel_id', '=', channel.id).where('wa_id', '=', from).executeTakeFirst();
      const secret = deps.config.secretKey;
      const content = userChangedNumber(user?.name ?? `User ${from.slice(-4)}`, from, req.newWaId, sandboxBsuid(secret, channel.partner_id, from), sandboxBsuid(secret, channel.partner_id, req.newWaId), user?.hide_number === 1);
      // The simulated user stays under the old number: the new one is a user of its own once it writes (nothing moves).
      const r = await receiveInbound(deps, channel, { from, type, content });
      return { messages: [{ id: r.id }], contacts: [{ wa_id: from }] };
    }
    const context = b.context === undefined ? undefined : inboundContext(b.context, channel.phone_number);
    let content: Obj;
    let extra: Obj = {};
    if (type === 'order') content = orderContent(b.order);
    else {
      const u = unsupportedContent(b.unsupported);
      content = u.content;
      extra = { errors: u.errors };
    }
    if (referral) extra.referral = referral;
    const r = await receiveInbound(deps, channel, { from, name, type, content, context, ...(Object.keys(extra).length ? { extra } : {}) });
    return { messages: [{ id: r.id }], contacts: [{ wa_id: from }] };
  }

  /**
   * A user's BSUID as its webhooks name it: a simulated user's own (sandboxBsuid); on Meta's network
   * the stored id when Meta gave no number (it is the BSUID), else unknown here (Meta's is in the webhooks).
   */
  const userIdOf = (channel: ChannelRow, waId: string): string | null =>
    isBsuid(waId) ? waId : channel.network === 'sandbox' && /^\d+$/.test(waId) ? sandboxBsuid(deps.config.secretKey, channel.partner_id, waId) : null;
  const userOut = (
    channel: ChannelRow,
    u: { wa_id: string; name: string | null; last_inbound_at: string | null; unreachable: number; blocked: number; username: string | null; hide_number: number | null; typing_until: string | null; call_answer: string | null },
  ) => ({
    wa_id: u.wa_id,
    name: u.name,
    last_inbound_at: u.last_inbound_at,
    window_open: windowOpen(u.last_inbound_at, deps.clock.now().getTime()),
    unreachable: u.unreachable === 1,
    blocked: u.blocked === 1,
    username: u.username,
    hide_number: u.hide_number === 1,
    user_id: userIdOf(channel, u.wa_id),
    business_typing_until: typingUntil(u.typing_until, deps.clock.now()),
    calls: shownCallAnswer(u.call_answer),
  });

  app.get('/sandbox/v1/users', { config: { flavour: 'cloud' }, schema: { tags, security, summary: "The channel's simulated users", response: { 200: Type.Object({ users: Type.Array(User) }) } } }, async (request) => {
    // On Meta's network too: the users who wrote, with their 24-hour windows (nothing simulated).
    const rows = await deps.db.kysely.selectFrom('sandbox_users').selectAll().where('channel_id', '=', request.channel!.id).orderBy('modified_at', 'desc').limit(1000).execute();
    return { users: rows.map((u) => userOut(request.channel!, u)) };
  });

  app.post(
    '/sandbox/v1/users/:wa_id',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary:
          'Set a simulated user: name, unreachable (sends fail with 131026), blocked (the user blocks the business), ' +
          'username (shown in Cloud webhooks; null removes it), hide_number (Cloud webhooks leave the number out, as Meta does for a user who hides it), ' +
          'calls (what the user does when the business calls: "answer", "decline", "answer=2s", "decline=500ms", "ignore", or "default" for OPENWABA_SANDBOX_CALL_ANSWER)',
        params: Type.Object({ wa_id: Type.String({ maxLength: 32 }) }),
        body: Type.Unknown(),
        response: { 200: User },
      },
    },
    async (request) => {
      // A number on Meta's network has WhatsApp users: none can be made unreachable or blocking.
      assertSandboxChannel(request.channel!);
      const b = request.body;
      if (!isObj(b)) throw fail('body', 'must be a JSON object');
      onlyKeys(b, 'body', ['name', 'unreachable', 'blocked', 'username', 'hide_number', 'calls']);
      const waId = recipient((request.params as { wa_id: string }).wa_id, 'wa_id');
      const iso = deps.clock.now().toISOString();
      const set: Record<string, string | number | null> = { modified_at: iso };
      if (b.name !== undefined) set.name = str(b.name, 'name', { max: 256 });
      if (b.unreachable !== undefined) set.unreachable = bool(b.unreachable, 'unreachable') ? 1 : 0;
      if (b.blocked !== undefined) set.blocked = bool(b.blocked, 'blocked') ? 1 : 0;
      if (b.username !== undefined) set.username = username(b.username);
      if (b.hide_number !== undefined) set.hide_number = bool(b.hide_number, 'hide_number') ? 1 : 0;
      if (b.calls !== undefined) set.call_answer = parseUserCallAnswer(b.calls);
      const channelId = request.channel!.id;
      // Only a user who adopted a username can hide their number (Meta's business-scoped user ids
      // page: the username is shown instead of the number): refused without one, before anything is written.
      if (set.hide_number === 1 || set.username === null) {
        const before = await deps.db.kysely.selectFrom('sandbox_users').select(['username', 'hide_number']).where('channel_id', '=', channelId).where('wa_id', '=', waId).executeTakeFirst();
        const hides = set.hide_number !== undefined ? set.hide_number === 1 : before?.hide_number === 1;
        const named = set.username !== undefined ? set.username !== null : Boolean(before?.username);
        if (hides && !named) throw fail('hide_number', 'needs a username: a WhatsApp user hides their number behind their username (set username too, or hide_number false)');
      }
      await deps.db.kysely
        .insertInto('sandbox_users')
        .values({
          channel_id: channelId,
          wa_id: waId,
          name: (set.name as string | undefined) ?? null,
          last_inbound_at: null,
          unreachable: (set.unreachable as number | undefined) ?? 0,
          blocked: (set.blocked as number | undefined) ?? 0,
          username: (set.username as string | null | undefined) ?? null,
          hide_number: (set.hide_number as number | undefined) ?? null,
          call_answer: (set.call_answer as string | null | undefined) ?? null,
          created_at: iso,
          modified_at: iso,
        })
        .onConflict((oc) => oc.columns(['channel_id', 'wa_id']).doUpdateSet(set))
        .execute();
      const u = await deps.db.kysely.selectFrom('sandbox_users').selectAll().where('channel_id', '=', channelId).where('wa_id', '=', waId).executeTakeFirstOrThrow();
      return userOut(request.channel!, u);
    },
  );

  app.get(
    '/sandbox/v1/messages',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: "The channel's messages, newest first, with their status history",
        description:
          'A message older than OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS keeps its row and status history, but its content is only ' +
          '{"type":"text","removed":{"at":"<when>","retention_days":30}}: no text, caption, media id or other part of what was sent or received.',
        querystring: Type.Object({
          wa_id: Type.Optional(Type.String({ maxLength: 32 })),
          limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
          before: Type.Optional(Type.String({ maxLength: 40, description: 'created_at of the last message seen (paging)' })),
        }),
      },
    },
    async (request) => {
      const q = request.query as { wa_id?: string; limit?: string; before?: string };
      const limit = Math.min(Math.max(Number(q.limit ?? 50), 1), 500);
      let sel = deps.db.kysely.selectFrom('messages').selectAll().where('channel_id', '=', request.channel!.id);
      if (q.wa_id) sel = sel.where('wa_id', '=', recipient(q.wa_id, 'wa_id'));
      if (q.before) sel = sel.where('created_at', '<', q.before);
      const rows = await sel.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return {
        messages: rows.map((m) => ({
          id: m.id,
          direction: m.direction,
          wa_id: m.wa_id,
          type: m.type,
          content: JSON.parse(m.content) as unknown,
          status: m.status,
          error: m.error_code ? { code: m.error_code, title: m.error_title } : null,
          category: m.category,
          created_at: m.created_at,
          statuses: (['sent', 'delivered', 'read', 'failed'] as const)
            .filter((s) => m[`${s}_at`])
            .map((s) => ({ status: s, at: m[`${s}_at`] })),
        })),
      };
    },
  );
};
