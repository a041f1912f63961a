// Meta's QR codes and short links ("message QRDLs") at the root, as 360dialog serves Meta's Cloud
// API with the `/{phone-number-id}` prefix dropped (Graph's /{version}/{phone-number-id}/message_qrdls):
//
//   POST   /message_qrdls           {prefilled_message, generate_qr_image?}          create
//   POST   /message_qrdls           {code, prefilled_message, generate_qr_image?}    update (Meta's guide)
//   POST   /message_qrdls/{code}    {prefilled_message, generate_qr_image?}          update (whatsapp-api-js updateQR)
//   GET    /message_qrdls[?code=]   {"data":[{code, prefilled_message, deep_link_url}, …]}, newest first
//   GET    /message_qrdls/{code}    {"data":[{…}]} (Meta answers the single code in a list too; whatsapp-api-js types it so)
//   DELETE /message_qrdls/{code}    {"success":true}
//   GET    /message_qrdls/{code}/image.svg | image.png   the QR image (openwaba's own; see below)
//
// Parameters come in the JSON body or the query string: Meta's guide and older clients
// (whatsapp-api-js createQR/updateQR) put them in the query; the body wins when both name one.
// generate_qr_image is SVG or PNG, any case (whatsapp-api-js sends "png"/"svg"); with it the answer
// has qr_image_url (on create, update, and on GETs that ask for it).
//
// Choices where Meta's reference is silent or cannot apply to a sandbox:
// - deep_link_url stays Meta's https://wa.me/message/{code}: the sandbox phone page (/sandbox/phone)
//   takes no prefilled text and is bound to the API key picked there, so an openwaba link could not
//   open it prefilled without changing that page. The QR image encodes that same link.
// - qr_image_url points at openwaba (OPENWABA_PUBLIC_URL) and takes the channel's D360-API-KEY like
//   every Messaging API route, where Meta's is a public CDN URL: a QR of a number is no secret, but
//   an authenticated route needs no new public surface and no auth exception in the plugin.
// - prefilled_message: 1 to 140 characters (Meta's documented limit), at most 2,000 codes per number
//   (Meta's documented limit); no paging on the list (2,000 short rows at most).
// - A code that is not this number's (never issued, deleted, another number's) answers Graph's
//   "Unsupported … request. Object with ID '…' does not exist" (400, code 100, subcode 33), as a
//   missing media id does (media/not-found.ts); Meta's exact answer for a missing code is not
//   documented.
// A number on Meta's network keeps its codes at Meta: each request goes to Meta's
// /{phone_number_id}/message_qrdls[/{code}] with the parameters as given, Meta's answer comes back;
// its qr_image_url is Meta's, so the image route refuses such numbers with a 400.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import QRCode from 'qrcode';
import type { MessagingOptions } from '../plugin.ts';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import { fail, str, type Obj } from '../validate/check.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { graphParams } from '../graph-params.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['QR codes'];
const cloud = { flavour: 'cloud' as const };

export const MAX_PREFILLED_MESSAGE = 140;
export const MAX_CODES_PER_NUMBER = 2000;
const FORMATS = ['SVG', 'PNG'] as const;
type Format = (typeof FORMATS)[number];
/** Meta's codes are 14 characters of A–Z and 0–9; anything else cannot be a code. */
const CODE_SHAPE = /^[A-Za-z0-9]{1,64}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A Meta-shaped code: 13 random base32 characters (65 bits) and the trailing 1 Meta's codes end in. */
function newCode(): string {
  const bytes = randomBytes(13);
  let s = '';
  for (const b of bytes) s += BASE32[b & 31];
  return `${s}1`;
}


function format(v: unknown): Format | undefined {
  if (v === undefined || v === '') return undefined;
  const s = str(v, 'generate_qr_image').toUpperCase();
  if (!(FORMATS as readonly string[]).includes(s)) throw fail('generate_qr_image', `must be SVG or PNG (got "${String(v).slice(0, 20)}")`);
  return s as Format;
}

const message = (v: unknown) => str(v, 'prefilled_message', { max: MAX_PREFILLED_MESSAGE });
const deepLink = (code: string) => `https://wa.me/message/${code}`;

interface Row {
  code: string;
  prefilled_message: string;
}

function shape(deps: Deps, row: Row, fmt?: Format) {
  return {
    code: row.code,
    prefilled_message: row.prefilled_message,
    deep_link_url: deepLink(row.code),
    ...(fmt ? { qr_image_url: `${deps.config.publicUrl}/message_qrdls/${row.code}/image.${fmt.toLowerCase()}` } : {}),
  };
}

async function findCode(deps: Deps, channel: ChannelRow, code: string): Promise<Row | undefined> {
  if (!CODE_SHAPE.test(code)) return undefined;
  return deps.db.kysely
    .selectFrom('qr_codes')
    .select(['code', 'prefilled_message'])
    .where('channel_id', '=', channel.id)
    .where('code', '=', code.toUpperCase())
    .executeTakeFirst();
}

export const qrCodeRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const now = () => deps.clock.now().toISOString();

  /** Meta's network: the same call on Meta's /{phone_number_id}/message_qrdls, the parameters as given. */
  const toMeta = (ch: ChannelRow, method: 'GET' | 'POST' | 'DELETE', code: string | undefined, p: Obj) =>
    meta.json(ch, method, (c) => {
      const path = `${c.phoneNumberId}/message_qrdls${code ? `/${encodeURIComponent(code)}` : ''}`;
      return method === 'POST' ? path : withQuery(path, Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'string' ? v : undefined])));
    }, method === 'POST' ? { json: p } : undefined);

  async function update(ch: ChannelRow, code: string, p: Obj) {
    const text = message(p.prefilled_message);
    const fmt = format(p.generate_qr_image);
    const row = await findCode(deps, ch, code);
    if (!row) throw graphNodeNotFound('post', code);
    await deps.db.kysely.updateTable('qr_codes').set({ prefilled_message: text, modified_at: now() }).where('code', '=', row.code).where('channel_id', '=', ch.id).execute();
    return shape(deps, { code: row.code, prefilled_message: text }, fmt);
  }

  const paramsDoc = {
    prefilled_message: Type.Optional(Type.String({ description: `1 to ${MAX_PREFILLED_MESSAGE} characters` })),
    generate_qr_image: Type.Optional(Type.String({ description: 'SVG or PNG: the answer then has qr_image_url' })),
  };

  app.post(
    '/message_qrdls',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: 'Create a QR code and short link with a prefilled message (with `code`: update that one)',
        description: 'Parameters in the JSON body or the query string: prefilled_message (≤ 140 characters), generate_qr_image (SVG or PNG), code (to update).',
        querystring: Type.Object({ ...paramsDoc, code: Type.Optional(Type.String()) }, { additionalProperties: true }),
        body: Type.Unknown(),
      },
    },
    async (request) => {
      const ch = request.channel!;
      const p = graphParams(request);
      if (ch.network === 'meta') return toMeta(ch, 'POST', undefined, p);
      if (p.code !== undefined) return update(ch, str(p.code, 'code', { max: 64 }), p);
      const text = message(p.prefilled_message);
      const fmt = format(p.generate_qr_image);
      const count = await deps.db.kysely.selectFrom('qr_codes').select((eb) => eb.fn.countAll().as('n')).where('channel_id', '=', ch.id).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_CODES_PER_NUMBER) {
        throw metaError(400, 100, 'Invalid parameter', `a number has at most ${MAX_CODES_PER_NUMBER} QR codes: delete one first (DELETE /message_qrdls/{code})`);
      }
      const at = now();
      const row = { code: newCode(), channel_id: ch.id, prefilled_message: text, created_at: at, modified_at: at };
      await deps.db.kysely.insertInto('qr_codes').values(row).execute();
      return shape(deps, row, fmt);
    },
  );

  app.post(
    '/message_qrdls/:code',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "Update a QR code's prefilled message",
        params: Type.Object({ code: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(paramsDoc, { additionalProperties: true }),
        body: Type.Unknown(),
      },
    },
    async (request) => {
      const ch = request.channel!;
      const { code } = request.params as { code: string };
      const p = graphParams(request);
      if (ch.network === 'meta') return toMeta(ch, 'POST', code, p);
      return update(ch, code, p);
    },
  );

  app.get(
    '/message_qrdls',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: "The number's QR codes, newest first",
        querystring: Type.Object({ code: Type.Optional(Type.String({ maxLength: 64 })), generate_qr_image: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const ch = request.channel!;
      const p = graphParams(request);
      if (ch.network === 'meta') return toMeta(ch, 'GET', undefined, p);
      const fmt = format(p.generate_qr_image);
      if (typeof p.code === 'string' && p.code !== '') {
        const row = await findCode(deps, ch, p.code);
        return { data: row ? [shape(deps, row, fmt)] : [] };
      }
      const rows = await deps.db.kysely
        .selectFrom('qr_codes')
        .select(['code', 'prefilled_message'])
        .where('channel_id', '=', ch.id)
        .orderBy('created_at', 'desc')
        .orderBy('code', 'desc')
        .execute();
      return { data: rows.map((r) => shape(deps, r, fmt)) };
    },
  );

  app.get(
    '/message_qrdls/:code',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: 'One QR code (in a data list, as Meta answers it)',
        params: Type.Object({ code: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ generate_qr_image: Type.Optional(Type.String()) }, { additionalProperties: true }),
      },
    },
    async (request) => {
      const ch = request.channel!;
      const { code } = request.params as { code: string };
      const p = graphParams(request);
      if (ch.network === 'meta') return toMeta(ch, 'GET', code, p);
      const row = await findCode(deps, ch, code);
      if (!row) throw graphNodeNotFound('get', code);
      return { data: [shape(deps, row, format(p.generate_qr_image))] };
    },
  );

  app.delete(
    '/message_qrdls/:code',
    { config: cloud, schema: { tags, security, summary: 'Delete a QR code (its short link stops working)', params: Type.Object({ code: Type.String({ maxLength: 64 }) }) } },
    async (request) => {
      const ch = request.channel!;
      const { code } = request.params as { code: string };
      if (ch.network === 'meta') return toMeta(ch, 'DELETE', code, {});
      const row = await findCode(deps, ch, code);
      if (!row) throw graphNodeNotFound('delete', code);
      await deps.db.kysely.deleteFrom('qr_codes').where('code', '=', row.code).where('channel_id', '=', ch.id).execute();
      return { success: true };
    },
  );

  app.get(
    '/message_qrdls/:code/:file',
    {
      config: cloud,
      schema: {
        tags,
        security,
        summary: 'The QR image of a code (image.svg or image.png): it encodes deep_link_url',
        params: Type.Object({ code: Type.String({ maxLength: 64 }), file: Type.String({ maxLength: 16 }) }),
      },
    },
    async (request, reply) => {
      const ch = request.channel!;
      const { code, file } = request.params as { code: string; file: string };
      if (ch.network === 'meta') {
        throw metaError(400, 100, 'Invalid parameter', "this number's QR codes are at Meta: fetch the qr_image_url Meta answered (POST or GET /message_qrdls with generate_qr_image)");
      }
      const fmt = file === 'image.svg' ? 'SVG' : file === 'image.png' ? 'PNG' : undefined;
      if (!fmt) throw graphNodeNotFound('get', `${code}/${file.slice(0, 16)}`);
      const row = await findCode(deps, ch, code);
      if (!row) throw graphNodeNotFound('get', code);
      reply.header('cache-control', 'private, max-age=300');
      if (fmt === 'SVG') {
        const svg = await QRCode.toString(deepLink(row.code), { type: 'svg', margin: 2, width: 512 });
        return reply.type('image/svg+xml').send(svg);
      }
      const png = await QRCode.toBuffer(deepLink(row.code), { type: 'png', margin: 2, width: 512 });
      return reply.type('image/png').send(png);
    },
  );
};
