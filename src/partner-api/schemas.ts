// TypeBox schemas of the Partner API: one source for validation, types and the OpenAPI document.
import { Type, type TSchema } from 'typebox';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const NStr = Nullable(Type.String());
const Time = Nullable(Type.String({ description: 'ISO-8601 UTC, e.g. 2023-02-28T14:36:45Z' }));
/** Open objects: documented fields, and anything else passes through unchanged. */
const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: true, ...(description ? { description } : {}) });

export const ErrorBody = Type.Object(
  {
    meta: Type.Object({
      success: Type.Boolean(),
      http_code: Type.Integer(),
      developer_message: Str,
      details: Type.Optional(Type.Array(Str)),
    }),
  },
  { description: 'Partner API error' },
);

export const SuccessMeta = Type.Object({
  meta: Type.Object({ success: Type.Boolean(), http_code: Type.Integer(), developer_message: Str }),
});

export const PartnerIdParams = Type.Object({ partner_id: Type.String({ description: 'Partner id (…PA)', maxLength: 64 }) });
export const ClientParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), client_id: Type.String({ maxLength: 64 }) });
export const ChannelParams = Type.Object({ partner_id: Type.String({ maxLength: 64 }), channel_id: Type.String({ maxLength: 64 }) });
export const ClientChannelParams = Type.Object({
  partner_id: Type.String({ maxLength: 64 }),
  client_id: Type.String({ maxLength: 64 }),
  channel_id: Type.String({ maxLength: 64 }),
});

/** The query of one list; `limit` is described from that list's own spec (lists differ). */
export function listQuery(spec: { defaultLimit: number; maxLimit: number }) {
  return Type.Object({
    limit: Type.Optional(Type.String({ description: `Page size (default ${spec.defaultLimit}, at most ${spec.maxLimit})` })),
    offset: Type.Optional(Type.String({ description: 'Items to skip' })),
    sort: Type.Optional(Type.String({ description: 'field or -field, several comma-separated' })),
    filters: Type.Optional(Type.String({ description: 'JSON object of dotted paths to values, e.g. {"id":"abcCH"}' })),
  });
}

export const ListEnvelopeProps = {
  count: Type.Integer(),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  sort: Type.Array(Str),
  filters: Type.Record(Type.String(), Type.Any()),
};

export const Partner = Obj({
  id: Str,
  brand_name: Str,
  logo_url: NStr,
  webhook_url: NStr,
  partner_redirect_url: NStr,
  country: NStr,
  allow_client_to_add_phone_no: Type.Boolean(),
  settings: Nullable(Type.Record(Type.String(), Type.Any())),
  payment_required: Type.Boolean(),
  onboarding_deeplink_add_params: Type.Boolean(),
  blocked_new_submission: Type.Boolean(),
  billing_system: Str,
  publishable_key: Type.Null(),
  created_at: Time,
  modified_at: Time,
});

const Actor = Obj({ user_id: Str, user_name: Str });

export const Client = Obj({
  id: Str,
  partner_id: Str,
  name: Str,
  status: Str,
  max_channels: Type.Integer(),
  organisation: NStr,
  partner_payload: NStr,
  meta_info: Obj({}),
  contact_info: Obj({}),
  contact_user: Obj({}),
  suspicious: Type.Boolean(),
  created_at: Time,
  created_by: Actor,
  modified_at: Time,
  modified_by: Actor,
});

export const WabaAccount = Obj({
  id: Str,
  external_id: Str,
  name: Str,
  namespace: Str,
  partner_id: Str,
  client_id: Str,
  timezone_id: Str,
  fb_business_id: Str,
  status: Str,
  fb_account_status: Str,
  on_behalf_of_business_info: Obj({}),
  consents: Obj({}),
  settings: Obj({}),
  created_at: Time,
  created_by: Actor,
  modified_at: Time,
});

export const Channel = Obj({
  id: Str,
  client_id: Str,
  partner_id: Str,
  external_id: Str,
  account_mode: Str,
  status: Str,
  availability_status: Type.Union([Type.Literal('ready'), Type.Literal('setting_up'), Type.Literal('error')]),
  meta_status: Str,
  type: Str,
  version: Str,
  is_migrated: Type.Boolean(),
  hosting_platform_type: Str,
  network: Str,
  current_limit: Str,
  current_quality_rating: Str,
  created_at: Time,
  modified_at: Time,
  billing_started_at: Time,
  terminated_at: Time,
  cancellation_requested_at: Time,
  client: Obj({}),
  setup_info: Obj({}),
  profile_info: Obj({}),
  waba_account: WabaAccount,
  waba_account_id: Str,
  integration: Obj({}),
  project: Nullable(Obj({})),
  has_inbox: Type.Boolean(),
  is_oba: Type.Boolean(),
});

export const ClientList = Type.Object({ ...ListEnvelopeProps, clients: Type.Array(Client) });
export const ChannelList = Type.Object({ ...ListEnvelopeProps, partner_channels: Type.Array(Channel) });

/** Absolute http(s) URL; our own check gives the clear message (see urls.ts). */
export const UrlString = Type.String({ maxLength: 2048, description: 'Absolute http:// or https:// URL' });

/** Partner API routes take X-API-Key (preferred) or a bearer token. */
export const PARTNER_SECURITY: { [scheme: string]: string[] }[] = [{ PartnerApiKeyV2: [] }, { Bearer: [] }];
export const PARTNER_ERRORS = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
