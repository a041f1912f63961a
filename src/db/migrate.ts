import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './index.ts';
import * as m0001 from './migrations/0001_init.ts';
import * as m0002 from './migrations/0002_webhooks.ts';
import * as m0003 from './migrations/0003_messaging.ts';
import * as m0004 from './migrations/0004_web_sessions.ts';
import * as m0005 from './migrations/0005_templates.ts';
import * as m0006 from './migrations/0006_onboarding_users.ts';
import * as m0007 from './migrations/0007_message_status_plans.ts';
import * as m0008 from './migrations/0008_webhook_due_cursor.ts';
import * as m0009 from './migrations/0009_channel_photo_and_ended.ts';
import * as m0010 from './migrations/0010_message_content_retention.ts';
import * as m0011 from './migrations/0011_multi_webhook.ts';
import * as m0012 from './migrations/0012_flows.ts';
import * as m0013 from './migrations/0013_meta_channels.ts';
import * as m0014 from './migrations/0014_meta_channel_pin.ts';
import * as m0015 from './migrations/0015_pg_change_notify.ts';
import * as m0016 from './migrations/0016_sandbox_usernames.ts';
import * as m0017 from './migrations/0017_mm_lite_status.ts';
import * as m0018 from './migrations/0018_flow_previews.ts';
import * as m0019 from './migrations/0019_partner_change_requests.ts';
import * as m0020 from './migrations/0020_channel_access_withdrawn.ts';
import * as m0021 from './migrations/0021_channel_account_restrictions.ts';
import * as m0022 from './migrations/0022_channel_waba_ban.ts';
import * as m0023 from './migrations/0023_blocked_users.ts';
import * as m0024 from './migrations/0024_media_get_errors.ts';
import * as m0025 from './migrations/0025_qr_codes.ts';
import * as m0026 from './migrations/0026_commerce_settings.ts';
import * as m0027 from './migrations/0027_waba_webhook_override.ts';
import * as m0028 from './migrations/0028_conversational_automation.ts';
import * as m0029 from './migrations/0029_template_library_name.ts';
import * as m0030 from './migrations/0030_sandbox_typing.ts';
import * as m0031 from './migrations/0031_resumable_uploads.ts';
import * as m0032 from './migrations/0032_calling.ts';
import * as m0033 from './migrations/0033_groups.ts';
import * as m0034 from './migrations/0034_compliance_info_and_ctwa.ts';
import * as m0035 from './migrations/0035_group_suspension.ts';
import * as m0036 from './migrations/0036_upload_session_lease.ts';
import * as m0037 from './migrations/0037_meta_forwarded_changes.ts';
import * as m0038 from './migrations/0038_sandbox_user_calls.ts';
import * as m0039 from './migrations/0039_number_requests_and_waba_edges.ts';
import * as m0040 from './migrations/0040_smb_app_syncs.ts';
import * as m0041 from './migrations/0041_message_group_id.ts';
import * as m0042 from './migrations/0042_webhook_app_secret.ts';
import * as m0043 from './migrations/0043_sandbox_payments.ts';
import * as m0044 from './migrations/0044_payment_configurations.ts';
import * as m0045 from './migrations/0045_conversion_datasets.ts';
import * as m0046 from './migrations/0046_official_business_account.ts';
import * as m0047 from './migrations/0047_waba_webhook_headers.ts';

// Migrations are listed in code (not read from a folder) so they work the same from source,
// from tests and from a bundle.
const MIGRATIONS: Record<string, Migration> = {
  '0001_init': m0001,
  '0002_webhooks': m0002,
  '0003_messaging': m0003,
  '0004_web_sessions': m0004,
  '0005_templates': m0005,
  '0006_onboarding_users': m0006,
  '0007_message_status_plans': m0007,
  '0008_webhook_due_cursor': m0008,
  '0009_channel_photo_and_ended': m0009,
  '0010_message_content_retention': m0010,
  '0011_multi_webhook': m0011,
  '0012_flows': m0012,
  '0013_meta_channels': m0013,
  '0014_meta_channel_pin': m0014,
  '0015_pg_change_notify': m0015,
  '0016_sandbox_usernames': m0016,
  '0017_mm_lite_status': m0017,
  '0018_flow_previews': m0018,
  '0019_partner_change_requests': m0019,
  '0020_channel_access_withdrawn': m0020,
  '0021_channel_account_restrictions': m0021,
  '0022_channel_waba_ban': m0022,
  '0023_blocked_users': m0023,
  '0024_media_get_errors': m0024,
  '0025_qr_codes': m0025,
  '0026_commerce_settings': m0026,
  '0027_waba_webhook_override': m0027,
  '0028_conversational_automation': m0028,
  '0029_template_library_name': m0029,
  '0030_sandbox_typing': m0030,
  '0031_resumable_uploads': m0031,
  '0032_calling': m0032,
  '0033_groups': m0033,
  '0034_compliance_info_and_ctwa': m0034,
  '0035_group_suspension': m0035,
  '0036_upload_session_lease': m0036,
  '0037_meta_forwarded_changes': m0037,
  '0038_sandbox_user_calls': m0038,
  '0039_number_requests_and_waba_edges': m0039,
  '0040_smb_app_syncs': m0040,
  '0041_message_group_id': m0041,
  '0042_webhook_app_secret': m0042,
  '0043_sandbox_payments': m0043,
  '0044_payment_configurations': m0044,
  '0045_conversion_datasets': m0045,
  '0046_official_business_account': m0046,
  '0047_waba_webhook_headers': m0047,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** Brings the schema up to date. Kysely's migrator locks, so concurrent instances are safe. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The names of the migrations this version has (restore.ts refuses a backup with others: a newer version made it). */
export function knownMigrations(): string[] {
  return Object.keys(MIGRATIONS);
}
