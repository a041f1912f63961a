// What a send test needs in the database beside the tenant: an uploaded image (MEDIA_ID; with
// { expiredMedia: true } also an expired one, EXPIRED_MEDIA_ID) and an approved template
// (TEMPLATE: an image header, two body parameters, a quick reply) that TEMPLATE_COMPONENTS fill,
// and a published WhatsApp Flow (FLOW_ID, its first screen FLOW_SCREEN) that a flow message names.
// Seeded once per app: the flow's id is fixed.
import type { TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { insertTemplate, wabaNamespace } from '../../src/messaging/templates/store.ts';
import { checkFlowJson } from '../../src/messaging/flows/flow-json.ts';

export const MEDIA_ID = '900000000000001';
export const EXPIRED_MEDIA_ID = '900000000000002';
export const TEMPLATE = 'order_ready';
/** An approved MARKETING template (one body parameter): what POST /marketing_messages sends. */
export const MARKETING_TEMPLATE = 'spring_sale';
export const FLOW_ID = '7000000000000001';
export const FLOW_SCREEN = 'START';
const FLOW_JSON = JSON.stringify({
  version: '7.0',
  screens: [
    {
      id: FLOW_SCREEN,
      title: 'Start',
      terminal: true,
      layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: 'Hello' }, { type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
});

/** The components of a valid send of TEMPLATE. */
export const TEMPLATE_COMPONENTS = [
  { type: 'header', parameters: [{ type: 'image', image: { id: MEDIA_ID } }] },
  { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'currency', currency: { fallback_value: '€9.99', code: 'EUR', amount_1000: 9990 } }] },
  { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'confirm' }] },
];

/** Stores the media row(s) and the template for the tenant's channel and WABA. */
export async function seedSendFixtures(t: TestApp, p: BootstrapResult, opts: { expiredMedia?: boolean } = {}): Promise<void> {
  const now = Date.now();
  const media = (id: string, expiresAt: number) => ({
    id,
    channel_id: p.channel_id,
    partner_id: p.partner_id,
    mime_type: 'image/jpeg',
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    file_size: 1024,
    filename: null,
    storage_key: `test/${id}`,
    created_at: new Date(now - 60_000).toISOString(),
    expires_at: new Date(expiresAt).toISOString(),
    deleted_at: null,
  });
  const rows = [media(MEDIA_ID, now + 86_400_000)];
  if (opts.expiredMedia) rows.push(media(EXPIRED_MEDIA_ID, now - 1000));
  await t.deps.db.kysely.insertInto('media').values(rows).execute();
  await insertTemplate(t.deps, t.deps.db.kysely, {
    partnerId: p.partner_id,
    wabaAccountId: p.waba_account_id,
    name: TEMPLATE,
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: 'Hi {{1}}, your order of {{2}} is ready.' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirm' }] },
    ],
  });
  await insertTemplate(t.deps, t.deps.db.kysely, {
    partnerId: p.partner_id,
    wabaAccountId: p.waba_account_id,
    name: MARKETING_TEMPLATE,
    language: 'en_US',
    category: 'MARKETING',
    status: 'APPROVED',
    components: [{ type: 'BODY', text: 'Spring sale, {{1}}: 20% off everything today.' }],
  });
  const checked = checkFlowJson(Buffer.from(FLOW_JSON));
  if (checked.errors.length > 0) throw new Error(`the fixture flow is not valid: ${checked.errors[0]!.message}`);
  const at = new Date(now - 60_000).toISOString();
  await t.deps.db.kysely
    .insertInto('flows')
    .values({
      id: FLOW_ID,
      partner_id: p.partner_id,
      waba_account_id: p.waba_account_id,
      name: 'send fixture flow',
      categories: '["OTHER"]',
      status: 'PUBLISHED',
      endpoint_uri: null,
      json_version: checked.jsonVersion,
      data_api_version: null,
      asset_name: 'flow.json',
      flow_json: FLOW_JSON,
      validation_errors: '[]',
      created_at: at,
      modified_at: at,
    })
    .execute();
}

/** The namespace of the tenant's WABA: what an On-Premise template send must name. */
export async function wabaNamespaceOf(t: TestApp, p: BootstrapResult): Promise<string> {
  const waba = await wabaNamespace(t.deps, p.waba_account_id);
  if (!waba) throw new Error(`no WABA ${p.waba_account_id}`);
  return waba.namespace;
}
