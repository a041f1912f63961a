// The product catalog connected to the key's WABA, Meta's /{waba-id}/product_catalogs edge, at the
// root as 360dialog serves the WABA's edges (/message_templates, /phone_numbers), and on the Graph
// path /{version}/{waba-id}/product_catalogs (graph-paths.ts; another WABA's id answers Graph's 400
// code 100 subcode 33). Meta's reference (Graph API, WhatsApp Business Account Product Catalogs):
//
//   GET  /product_catalogs                 {"data":[{"id":"<catalog id>"}]}   (Meta: ProductCatalog nodes, paging)
//   POST /product_catalogs {catalog_id}    {"success":true}                   (catalog_id: numeric string, required)
//
// Meta documents no update and no delete of this edge ("You can't perform this operation on this
// endpoint"), so neither is served. A sandbox WABA keeps one catalog (waba_product_catalogs,
// migration 0039): Meta's reading "Returns the product catalog connected to the WhatsApp Business
// Account" names one, so connecting another replaces it (our choice). openwaba knows a catalog's id
// only, not its name, so each item is {id} (a ProductCatalog node without its other fields; no
// paging: one item). Sending product and product_list messages does not look at it (their
// catalog_id is checked as before). A number on Meta's network asks Meta.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { isoNow } from '../../clock.ts';
import { graphParams } from '../graph-params.ts';
import { fail, str, type Obj } from '../validate/check.ts';
import { metaError } from '../errors.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import type { ChannelRow } from '../../services/channels.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Commerce settings'];
const config = { flavour: 'cloud' as const };
const BODY_LIMIT = 16 * 1024;

/** POST's parameters: catalog_id, a numeric string (a number is taken too, as forms and JSON clients send either). */
export function parseCatalogConnect(p: Obj): { catalog_id: string } {
  const v = p.catalog_id;
  if (Array.isArray(v)) throw fail('catalog_id', 'must be given once');
  const id = typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : str(v, 'catalog_id', { max: 32 }).trim();
  if (!/^\d{1,32}$/.test(id)) throw fail('catalog_id', 'must be the numeric id of a Meta product catalog, such as "1234567890123456"');
  return { catalog_id: id };
}

function wabaOf(ch: ChannelRow): string {
  if (!ch.waba_account_id) throw metaError(400, 100, 'Invalid parameter', 'this number is not attached to a WhatsApp Business Account');
  return ch.waba_account_id;
}

export const productCatalogRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });

    scope.get(
      '/product_catalogs',
      {
        config,
        schema: {
          tags,
          security,
          summary: "The product catalog connected to the key's WABA, as Graph's /{waba-id}/product_catalogs lists it",
          response: { 200: Type.Object({ data: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => `${c.wabaId}/product_catalogs`);
          if (!Array.isArray(b.data)) throw badAnswer('a product_catalogs list without data');
          return b;
        }
        const row = await deps.db.kysely.selectFrom('waba_product_catalogs').select('catalog_id').where('waba_account_id', '=', wabaOf(ch)).executeTakeFirst();
        return { data: row ? [{ id: row.catalog_id }] : [] };
      },
    );

    scope.post(
      '/product_catalogs',
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "Connect a product catalog to the key's WABA ({catalog_id}; a sandbox WABA keeps one, a new one replaces it)",
          description: 'catalog_id in the JSON or form body or the query string, as Graph takes parameters. Answers {"success":true}.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
          response: { 200: Type.Object({ success: Type.Boolean() }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const { catalog_id } = parseCatalogConnect(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.wabaId}/product_catalogs`, { json: { catalog_id } });
          return { success: b.success !== false };
        }
        const now = isoNow(deps.clock);
        await deps.db.kysely
          .insertInto('waba_product_catalogs')
          .values({ waba_account_id: wabaOf(ch), catalog_id, created_at: now })
          .onConflict((oc) => oc.column('waba_account_id').doUpdateSet({ catalog_id, created_at: now }))
          .execute();
        return { success: true };
      },
    );
  });
};
