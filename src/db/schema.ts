// Row types of every table. Booleans are stored as 0/1 integers and timestamps as ISO-8601 text
// (fixed width, UTC, so text order is time order) on both SQLite and PostgreSQL, so that one
// set of queries and mappers serves both dialects.

import type { Generated } from 'kysely';

export type Bool = number; // 0 | 1

export interface PartnersTable {
  id: string;
  brand_name: string;
  logo_url: string | null;
  webhook_url: string | null;
  partner_redirect_url: string | null;
  country: string | null;
  allow_client_to_add_phone_no: Bool;
  settings: string | null; // JSON
  created_at: string;
  modified_at: string;
  /** Signing secret of partner webhooks (needed to sign, so stored as is). */
  webhook_secret: string | null;
  webhook_headers: string | null; // JSON object of custom headers
}

export interface HubUsersTable {
  id: string;
  partner_id: string;
  username: string; // lower-cased
  password_hash: string;
  created_at: string;
}

export interface PartnerApiKeysTable {
  id: string;
  partner_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ClientsTable {
  id: string;
  partner_id: string;
  name: string;
  status: string;
  max_channels: number;
  organisation: string | null;
  partner_payload: string | null;
  meta_business_vertical: string | null;
  meta_timezone: string | null;
  meta_about: string | null;
  meta_business_description: string | null;
  meta_use_case: string | null;
  contact_webpage_url: string | null;
  contact_phone: string | null;
  contact_language: string | null;
  contact_country: string | null;
  contact_street_name: string | null;
  contact_city: string | null;
  contact_email: string | null;
  contact_full_name: string | null;
  contact_zip_code: string | null;
  contact_user_phone: string | null;
  contact_user_email: string | null;
  contact_user_name: string | null;
  suspicious: Bool;
  created_at: string;
  created_by: string; // JSON {user_id, user_name}
  modified_at: string;
  modified_by: string; // JSON
}

export interface WabaAccountsTable {
  id: string;
  partner_id: string;
  client_id: string;
  external_id: string;
  name: string;
  namespace: string;
  timezone_id: string;
  fb_business_id: string;
  status: string;
  fb_account_status: string;
  obo_business_id: string | null;
  obo_business_name: string | null;
  obo_status: string | null;
  created_at: string;
  created_by: string; // JSON
  modified_at: string;
  /** Marketing Messages Lite API: INELIGIBLE | ELIGIBLE | ONBOARDED (migration 0017). */
  mm_lite_status: Generated<string>;
  /** Meta's WABA-level webhook override (migration 0027): where numbers without their own webhook URL deliver. */
  override_callback_uri: Generated<string | null>;
  /** Custom headers (JSON) sent with deliveries to override_callback_uri, set by POST /waba_webhook (migration 0047). */
  override_headers: Generated<string | null>;
}

export interface ChannelsTable {
  id: string;
  partner_id: string;
  client_id: string;
  waba_account_id: string;
  external_id: string; // Meta phone_number_id
  network: string; // 'sandbox' | 'meta'
  hosting_type: string; // 'cloud' | 'onpremise'
  account_mode: string; // 'sandbox' | 'live'
  status: string;
  availability_status: string; // 'ready' | 'setting_up' | 'error'
  meta_status: string;
  type: string;
  version: string;
  is_migrated: Bool;
  current_limit: string;
  current_quality_rating: string;
  phone_number: string;
  phone_name: string;
  was_in_use: Bool;
  ivr: Bool;
  verification_method: string;
  default_language: string;
  profile_about_text: string | null;
  profile_business_vertical: string | null;
  profile_business_description: string | null;
  profile_contact_email: string | null;
  app_id: string;
  cancellation_requested_at: string | null;
  terminated_at: string | null;
  billing_started_at: string | null;
  created_at: string;
  modified_at: string;
  /** Defaults to 1 (allowed). */
  template_messaging: Generated<Bool>;
  // Messaging API settings (migration 0003); absent until set.
  webhook_url: Generated<string | null>;
  webhook_headers: Generated<string | null>; // JSON
  profile_address: Generated<string | null>;
  profile_websites: Generated<string | null>; // JSON array
  profile_picture_url: Generated<string | null>;
  throughput_mps: Generated<number | null>;
  /** The media row holding the On-Premise profile photo (migration 0009). */
  profile_photo_media_id: Generated<string | null>;
  /** When the client withdrew the partner's access in Integrated Onboarding (migration 0020). */
  access_withdrawn_at: Generated<string | null>;
  /** The WABA's restrictions (sandbox account_update), JSON [{restriction_type, expiration}] (migration 0021). */
  waba_restrictions: Generated<string | null>;
  /** Since when the WABA is banned (account_update DISABLED_UPDATE DISABLE, until REINSTATE), ISO-8601 UTC (migration 0022). */
  waba_banned_at: Generated<string | null>;
  /** How many users the number has blocked (rows in blocked_users; migration 0023): 0 spares a send the lookup. */
  blocked_user_count: Generated<number>;
  /** Click-to-WhatsApp tracking switched on by the partner (enable_ctwa / disable_ctwa; migration 0034). */
  ctwa_enabled: Generated<Bool>;
}

/** A number's India commerce compliance details, JSON text (migration 0034; messaging/compliance-info.ts). */
export interface BusinessComplianceInfoTable {
  channel_id: string;
  info: string;
  created_at: string;
  modified_at: string;
}

/** A number's coexistence synchronizations (migration 0040; messaging/coexistence.ts): one per sync_type. */
export interface SmbAppSyncsTable {
  channel_id: string;
  sync_type: string;
  request_id: string;
  created_at: string;
}

/** Multiple webhooks per number (migration 0011): the switch; no row means disabled, no destinations. */
export interface ChannelMultiWebhooksTable {
  channel_id: string;
  enabled: Bool;
  created_at: string;
  modified_at: string;
}

/** An extra webhook destination of a number (migration 0011); its id is the target of its copies' outbox events. */
export interface ChannelWebhookDestinationsTable {
  id: string;
  channel_id: string;
  /** Unique per channel, case-sensitive. */
  name: string;
  url: string;
  headers: string | null; // JSON object of custom headers
  /** Order in the list (GET answers in this order). */
  position: number;
  created_at: string;
  modified_at: string;
}

export interface ChannelApiKeysTable {
  id: string;
  channel_id: string;
  partner_id: string;
  key_hash: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuthThrottleTable {
  key: string;
  failures: number;
  window_started_at: string;
}

export interface InstanceSettingsTable {
  key: string;
  value: string;
}

export type WebhookEventStatus = 'pending' | 'delivering' | 'delivered' | 'failed';

export interface WebhookEventsTable {
  id: string;
  partner_id: string;
  target_type: string; // 'partner' | 'channel' | 'channel_destination'
  target_id: string;
  event_type: string;
  body: string;
  status: WebhookEventStatus;
  attempts: number;
  available_at: string;
  lease_owner: string | null;
  expires_at: string;
  created_at: string;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  failed_at: string | null;
}

export interface WebhookAttemptsTable {
  id: string;
  event_id: string;
  attempt: number;
  url: string | null;
  started_at: string;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
  slow: Bool;
}

/** A WhatsApp user a number blocked (Meta's Block Users API, POST /block_users; migration 0023). */
/** A sandbox number's WhatsApp group (migration 0033; messaging/groups.ts). */
export interface GroupsTable {
  /** Meta-shaped group id (base64url of capi_group:…), unique across numbers. */
  id: string;
  channel_id: string;
  subject: string;
  description: string | null;
  join_approval_mode: string;
  /** The code of its invite link (https://chat.whatsapp.com/{code}); replaced by a reset. */
  invite_code: string;
  created_at: string;
  /** 1 while Meta has suspended the group (group_status_update; migration 0035), else 0. */
  suspended: number;
}

/** A member of a group, or an open join request to it (state 'requested'). */
export interface GroupParticipantsTable {
  group_id: string;
  wa_id: string;
  state: string;
  join_request_id: string | null;
  created_at: string;
}

export interface BlockedUsersTable {
  channel_id: string;
  wa_id: string;
  /** What the client named the user by when blocking (the phone number as written, or the wa_id). */
  input: string;
  created_at: string;
}

/** A QR code / short link of a sandbox number (migration 0025; messaging/routes/qr-codes.ts). */
export interface QrCodesTable {
  /** Meta-shaped, 14 characters, unique across numbers. */
  code: string;
  channel_id: string;
  prefilled_message: string;
  created_at: string;
  modified_at: string;
}

/** A sandbox number's commerce settings (migration 0026); no row: Meta's defaults, cart enabled and catalog hidden. */
export interface CommerceSettingsTable {
  channel_id: string;
  is_cart_enabled: Bool;
  is_catalog_visible: Bool;
  modified_at: string;
}

/** A number's webhook app secret (migration 0042; messaging/webhook-app-secret.ts); no row: webhooks unsigned. */
export interface ChannelWebhookAppSecretsTable {
  channel_id: string;
  /** Stored as it is (it signs every webhook); never shown after it is set. */
  app_secret: string;
  modified_at: string;
}

/** A sandbox number's conversational components (migration 0028); no row: none set. */
export interface ConversationalAutomationTable {
  channel_id: string;
  enable_welcome_message: Bool;
  /** JSON text: the ice breakers, a list of strings. */
  prompts: string;
  /** JSON text: a list of {command_name, command_description}. */
  commands: string;
  modified_at: string;
}

export interface SandboxUsersTable {
  channel_id: string;
  wa_id: string;
  name: string | null;
  last_inbound_at: string | null;
  unreachable: Bool;
  blocked: Bool;
  created_at: string;
  modified_at: string;
  /** The user's WhatsApp username (migration 0016); null: none. */
  username: string | null;
  /** 1: the user hides their number, which webhooks then leave out (migration 0016); null or 0: shown. */
  hide_number: Bool | null;
  /**
   * The sandbox number shows this user "typing…" until this ISO instant (migration 0030): a
   * mark-as-read with typing_indicator sets it, the number's next message to the user clears it.
   * Null: not typing; a past instant: the 25 seconds ran out (messaging/typing-indicator.ts).
   */
  typing_until: string | null;
  /**
   * What the user does when the business calls them (migration 0038; messaging/sandbox-call-answer.ts):
   * "answer", "decline", "answer=2s", "decline=500ms" or "ignore". Null: OPENWABA_SANDBOX_CALL_ANSWER decides.
   */
  call_answer: string | null;
}

export type MessageStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed' | 'received';

export interface MessagesTable {
  id: string;
  channel_id: string;
  partner_id: string;
  client_id: string;
  direction: 'outbound' | 'inbound';
  wa_id: string;
  type: string;
  content: string;
  status: MessageStatus;
  error_code: number | null;
  error_title: string | null;
  category: string | null;
  initiated_by: 'business' | 'user';
  template_name: string | null;
  context_id: string | null;
  created_at: string;
  modified_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  read_at: string | null;
  failed_at: string | null;
  /** Sandbox: the status steps still to come (JSON), and when the next is due; null when none. */
  status_plan: string | null;
  status_due_at: string | null;
  /** When the content was replaced by its removal marker (migration 0010); null while it is kept. */
  content_removed_at: Generated<string | null>;
  /** A participant's message to one of the number's groups: its group (migration 0041); null otherwise. */
  group_id: Generated<string | null>;
}

export interface JobsTable {
  id: string;
  kind: string;
  ref_id: string;
  payload: string;
  status: 'pending' | 'running' | 'done';
  available_at: string;
  lease_owner: string | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface MediaTable {
  id: string;
  channel_id: string;
  partner_id: string;
  mime_type: string;
  sha256: string;
  file_size: number;
  filename: string | null;
  storage_key: string;
  created_at: string;
  expires_at: string;
  deleted_at: string | null;
}

/** A Resumable Upload API session (migration 0031; messaging/media/resumable.ts). */
export interface ResumableUploadsTable {
  id: string;
  channel_id: string;
  waba_account_id: string | null;
  file_name: string;
  file_type: string;
  file_length: number;
  file_offset: number;
  handle: string | null;
  sha256: string | null;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
  /** The POST appending to the file now, and until when (migration 0036; media/upload-lease.ts). */
  lease_token: string | null;
  lease_expires_at: string | null;
}

/** A sandbox number's Calling API settings, Meta's `calling` object as JSON (migration 0032). */
export interface CallingSettingsTable {
  channel_id: string;
  settings: string;
  modified_at: string;
}

/** A user's permission for the number to call them (migration 0032; messaging/call-permissions.ts). */
export interface CallPermissionsTable {
  channel_id: string;
  wa_id: string;
  /** granted | rejected */
  status: string;
  is_permanent: number;
  /** A temporary permission's end; null when permanent or rejected. */
  expires_at: string | null;
  /** user_action | automatic (the user called the business) */
  source: string;
  modified_at: string;
}

/** A call of a number, either direction (migration 0032; messaging/call-lifecycle.ts). */
export interface CallsTable {
  id: string;
  channel_id: string;
  wa_id: string;
  direction: 'BUSINESS_INITIATED' | 'USER_INITIATED';
  /** ringing | pre_accepted | accepted | rejected | ended */
  state: string;
  biz_opaque_callback_data: string | null;
  created_at: string;
  start_time: string | null;
  end_time: string | null;
  modified_at: string;
}

export interface TemplatesTable {
  id: string;
  partner_id: string;
  waba_account_id: string;
  name: string;
  language: string;
  category: string;
  status: string;
  components: string;
  rejected_reason: string | null;
  created_at: string;
  modified_at: string;
  /** JSON {user_id, user_name}; null: created by the platform (hello_world). */
  created_by: string | null;
  modified_by: string | null;
  /** The library template it was created from (migration 0029); null: written by its business. */
  library_template_name: string | null;
}

/** WhatsApp Flows (migration 0012). */
export type FlowStatus = 'DRAFT' | 'PUBLISHED' | 'DEPRECATED' | 'BLOCKED' | 'THROTTLED';

export interface FlowsTable {
  id: string;
  partner_id: string;
  waba_account_id: string;
  name: string;
  categories: string; // JSON array
  status: FlowStatus;
  endpoint_uri: string | null;
  json_version: string | null;
  data_api_version: string | null;
  asset_name: string | null;
  /** The Flow JSON asset as uploaded; null until one is (or when it was not storable text). */
  flow_json: string | null;
  validation_errors: string; // JSON array
  created_at: string;
  modified_at: string;
}

/** A flow's preview links (migration 0018): only the SHA-256 of each link's token is kept. */
export interface FlowPreviewsTable {
  token_hash: string;
  flow_id: string;
  partner_id: string;
  waba_account_id: string;
  expires_at: string;
  created_at: string;
}

/** A number's business public key for Flows (POST /whatsapp_business_encryption, migration 0012). */
export interface BusinessPublicKeysTable {
  channel_id: string;
  partner_id: string;
  public_key: string;
  created_at: string;
  modified_at: string;
}

export interface WebSessionsTable {
  id_hash: string;
  kind: 'hub' | 'onboarding' | 'phone';
  subject: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface OnboardingUsersTable {
  id: string;
  partner_id: string;
  /** Set when the user first grants the partner access (its client is created then). */
  client_id: string | null;
  name: string;
  email: string; // lower-cased, unique per partner
  password_hash: string;
  /** plan_selection chosen on the onboarding pages (regular | premium), if any. */
  plan: string | null;
  created_at: string;
}

/** A channel on Meta's Cloud API: its credentials (network/meta/channels.ts). */
export interface MetaChannelsTable {
  channel_id: string;
  /** Meta's id of the number (also the channel's external_id). */
  phone_number_id: string;
  /** Meta's WhatsApp Business Account id. */
  waba_id: string;
  /** The access token, sealed with OPENWABA_SECRET_KEY (network/meta/secret-box.ts). */
  access_token_sealed: string;
  /** The two-step verification PIN openwaba registered the number with (Embedded Signup), sealed; null otherwise. */
  pin_sealed: string | null;
  created_at: string;
  modified_at: string;
}

/** A partner change request (migration 0019): a client, whole or some channels, moving to another partner. */
export interface PartnerChangeRequestsTable {
  id: string;
  status: string; // 'pending' | 'completed' | 'failed'
  is_full_migration: Bool;
  client_id: string;
  /** The client under the new partner: the same client after a full migration, a new one after a selective one. */
  new_client_id: string | null;
  old_partner_id: string;
  new_partner_id: string;
  channel_ids: string; // JSON array
  auto_approved: Generated<Bool>;
  failure_reason: string | null;
  created_by: string; // JSON {user_id, user_name}
  approved_by: string | null; // JSON
  created_at: string;
  modified_at: string;
  completed_at: string | null;
}

/** A partner's PCR settings (migration 0019); no row means auto_approve off. */
export interface PartnerChangeRequestSettingsTable {
  partner_id: string;
  auto_approve: Bool;
  modified_at: string;
}

/** A counted error of GET /{media_id} and a channel's block of it (migration 0024, messaging/media/get-error-block.ts). */
export interface MediaGetErrorsTable {
  id: string;
  channel_id: string;
  errored_at: string;
}
/** A change of Meta's webhooks passed on as it came (network/meta/forwarded-changes.ts). */
export interface MetaForwardedChangesTable {
  /** sha256 (hex) of where it went and the change as Meta sent it. */
  key: string;
  /** The channel id (a number's calls and group fields) or `waba:` and Meta's WABA id (a WABA's fields). */
  target: string;
  field: string;
  created_at: string;
}
export interface MediaGetBlocksTable {
  channel_id: string;
  blocked_until: string;
}

/** A sandbox number's two-step verification PIN, as a salted SHA-256 hash only (never compared; migration 0039; messaging/phone-number-update.ts). */
export interface ChannelTwoStepPinsTable {
  channel_id: string;
  pin_hash: string;
  modified_at: string;
}

/** A sandbox number's display name change request and its review (migration 0039; messaging/display-name-review.ts). */
export interface ChannelNameRequestsTable {
  channel_id: string;
  new_display_name: string;
  /** Meta's new_name_status: PENDING_REVIEW, then APPROVED. */
  status: string;
  requested_at: string;
  decided_at: string | null;
}

/** The product catalog connected to a WABA (migration 0039; messaging/routes/product-catalogs.ts). */
export interface WabaProductCatalogsTable {
  waba_account_id: string;
  catalog_id: string;
  created_at: string;
}

/** A user assigned to a WABA with its tasks (migration 0039; messaging/routes/assigned-users.ts). */
export interface WabaAssignedUsersTable {
  waba_account_id: string;
  user_id: string;
  tasks: string; // JSON array of task names
  created_at: string;
  modified_at: string;
}

export interface Database {
  partner_change_requests: PartnerChangeRequestsTable;
  partner_change_request_settings: PartnerChangeRequestSettingsTable;
  onboarding_users: OnboardingUsersTable;
  web_sessions: WebSessionsTable;
  sandbox_users: SandboxUsersTable;
  calling_settings: CallingSettingsTable;
  call_permissions: CallPermissionsTable;
  calls: CallsTable;
  blocked_users: BlockedUsersTable;
  groups: GroupsTable;
  group_participants: GroupParticipantsTable;
  commerce_settings: CommerceSettingsTable;
  conversational_automation: ConversationalAutomationTable;
  channel_webhook_app_secrets: ChannelWebhookAppSecretsTable;
  qr_codes: QrCodesTable;
  messages: MessagesTable;
  jobs: JobsTable;
  media: MediaTable;
  business_compliance_info: BusinessComplianceInfoTable;
  smb_app_syncs: SmbAppSyncsTable;
  resumable_uploads: ResumableUploadsTable;
  templates: TemplatesTable;
  flows: FlowsTable;
  flow_previews: FlowPreviewsTable;
  business_public_keys: BusinessPublicKeysTable;
  meta_channels: MetaChannelsTable;
  webhook_events: WebhookEventsTable;
  webhook_attempts: WebhookAttemptsTable;
  partners: PartnersTable;
  hub_users: HubUsersTable;
  partner_api_keys: PartnerApiKeysTable;
  clients: ClientsTable;
  waba_accounts: WabaAccountsTable;
  channels: ChannelsTable;
  channel_api_keys: ChannelApiKeysTable;
  channel_multi_webhooks: ChannelMultiWebhooksTable;
  channel_webhook_destinations: ChannelWebhookDestinationsTable;
  auth_throttle: AuthThrottleTable;
  instance_settings: InstanceSettingsTable;
  media_get_errors: MediaGetErrorsTable;
  media_get_blocks: MediaGetBlocksTable;
  meta_forwarded_changes: MetaForwardedChangesTable;
  channel_two_step_pins: ChannelTwoStepPinsTable;
  channel_name_requests: ChannelNameRequestsTable;
  waba_product_catalogs: WabaProductCatalogsTable;
  waba_assigned_users: WabaAssignedUsersTable;
  waba_payment_configurations: WabaPaymentConfigurationsTable;
  sandbox_payments: SandboxPaymentsTable;
  waba_conversion_datasets: WabaConversionDatasetsTable;
  conversion_events: ConversionEventsTable;
  channel_oba_requests: ChannelObaRequestsTable;
}

/** A WABA's payment configuration for Meta's Payments API India (migration 0044; messaging/payments/configurations.ts). */
export interface WabaPaymentConfigurationsTable {
  waba_account_id: string;
  configuration_name: string;
  /** razorpay, payu, zaakpay, billdesk or upi_vpa. */
  provider_name: string;
  merchant_vpa: string | null;
  provider_mid: string | null;
  purpose_code: string;
  merchant_category_code: string;
  /** Meta's status: Active, Needs_Connecting, Needs_Testing. */
  status: string;
  redirect_url: string | null;
  data_endpoint_url: string | null;
  oauth_token_hash: string | null;
  oauth_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** A simulated user's payment of an order_details message (migration 0043; messaging/payments/sandbox-payments.ts). */
export interface SandboxPaymentsTable {
  channel_id: string;
  reference_id: string;
  /** The wamid of the order_details message. */
  message_id: string;
  wa_id: string;
  /** The payment's status: pending, captured or failed. */
  status: string;
  /** JSON: {amount, currency, configuration_name, transactions}. */
  payment: string;
  created_at: string;
  modified_at: string;
}

/** A WABA's Conversions API dataset (migration 0045; messaging/conversion-events.ts). */
export interface WabaConversionDatasetsTable {
  waba_account_id: string;
  dataset_id: string;
  created_at: string;
}

/** A conversion event posted to a sandbox dataset, the last few per dataset (migration 0045; messaging/conversion-events.ts). */
export interface ConversionEventsTable {
  id: string;
  dataset_id: string;
  event_name: string;
  /** Unix seconds, as sent. */
  event_time: number;
  ctwa_clid: string;
  test_event_code: string | null;
  partner_agent: string | null;
  /** JSON: the event as received. */
  event: string;
  received_at: string;
}

/** A sandbox number's Official Business Account request (migration 0046; messaging/official-business-account.ts). */
export interface ChannelObaRequestsTable {
  channel_id: string;
  /** JSON: the checked request (business_website_url, primary_country_of_operation, …). */
  request: string;
  /** Meta's oba_status: PENDING, then APPROVED or REJECTED. */
  status: string;
  /** Why the sandbox rejected it (the node's status_message); null otherwise. */
  status_message: string | null;
  requested_at: string;
  decided_at: string | null;
}
