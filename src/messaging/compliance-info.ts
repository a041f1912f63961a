// India commerce compliance ("Compliance for Commerce": a +91 number must give these details
// before it may send single- or multi-product messages), as 360dialog documents it
// (docs.360dialog.com/partner/waba-management/products-and-catalogs/india-businesses-compliance-for-commerce)
// and Meta's two references behind it:
//
//   Cloud       POST /business_compliance_info  (Graph: /{version}/{phone-number-id}/business_compliance_info)
//               {messaging_product?, entity_name, entity_type, entity_type_custom?, is_registered?,
//                customer_care_details:{email, landline_number?, mobile_number?},
//                grievance_officer_details:{name, email, landline_number?, mobile_number?}}  → {"success":true}
//               GET → {"data":[{…the same fields…, "messaging_product":"whatsapp"}]}  ({"data":[]} before any POST)
//   On-Premise  POST /v1/settings/business/compliance_info  (same body)  → {"meta":{…}}
//               GET  → {"settings":{"business":{"compliance_info":{…}}},"meta":{…}}
//
// Meta's rules, as its references state them: entity_name required; entity_type one of Limited
// liability partnership, Sole proprietorship, Partnership, Public company, Private company, Other;
// is_registered required when entity_type is Partnership or Other (Meta assumes registration for
// the others); customer_care_details needs an email and at least one of landline_number and
// mobile_number; grievance_officer_details a name, an email and at least one of the two numbers.
// Our choices where the references are unsure (what most clients would send is accepted):
// - entity_type is taken in any letter case, with spaces, hyphens or underscores
//   ("PARTNERSHIP", "Partnership", "limited_liability_partnership"; also "LLP"): Meta's Cloud
//   sample answers "Partnership" while its enum is written LIMITED_LIABILITY_PARTNERSHIP. The value
//   is kept as sent and a GET answers it so.
// - entity_type_custom (On-Premise's free text for Other) is optional; is_registered defaults to
//   true where it is not required, as Meta assumes.
// - Phone numbers: 7 to 15 digits, a leading "+" (Meta's samples: "+913857614343") and spaces,
//   hyphens, dots or brackets tolerated, kept as sent. Emails: one "@" and a dotted domain.
// - Unknown fields are refused, naming the field (a typo would otherwise drop a detail silently).
// - A POST replaces the whole record (Meta's reference has no partial update).
import type { Deps } from '../deps.ts';
import { fail, fromJsonText, isObj, onlyKeys, optStr, str, type Obj } from './validate/check.ts';
import { graphBool } from './graph-params.ts';

export const ENTITY_TYPES = ['LIMITED_LIABILITY_PARTNERSHIP', 'SOLE_PROPRIETORSHIP', 'PARTNERSHIP', 'PUBLIC_COMPANY', 'PRIVATE_COMPANY', 'OTHER'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
/** Where is_registered must be given (Meta assumes registration for the other types). */
const ASKS_REGISTRATION: readonly EntityType[] = ['PARTNERSHIP', 'OTHER'];
export const MAX_NAME = 256;
const MAX_EMAIL = 254;

export interface ContactDetails {
  email: string;
  landline_number?: string;
  mobile_number?: string;
}
export interface GrievanceOfficer extends ContactDetails {
  name: string;
}
export interface ComplianceInfo {
  entity_name: string;
  entity_type: string;
  entity_type_custom?: string;
  is_registered: boolean;
  customer_care_details: ContactDetails;
  grievance_officer_details: GrievanceOfficer;
}

const TOP_KEYS = ['messaging_product', 'entity_name', 'entity_type', 'entity_type_custom', 'is_registered', 'customer_care_details', 'grievance_officer_details'];
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/u;

/** entity_type in any of its written forms → Meta's enum value, or a 400 listing them. */
export function entityTypeOf(v: unknown): EntityType {
  const s = str(v, 'entity_type', { max: 64 });
  const key = s.trim().toUpperCase().replace(/[\s_-]+/g, '_');
  const t = key === 'LLP' ? 'LIMITED_LIABILITY_PARTNERSHIP' : key;
  if (!(ENTITY_TYPES as readonly string[]).includes(t)) throw fail('entity_type', `must be one of ${ENTITY_TYPES.join(', ')} (got "${s.slice(0, 50)}")`);
  return t as EntityType;
}

function email(v: unknown, field: string): string {
  const s = str(v, field, { max: MAX_EMAIL });
  if (!EMAIL.test(s)) throw fail(field, `must be an email address (got "${s.slice(0, 60)}")`);
  return s;
}

function phone(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const s = str(v, field, { max: 32 });
  const digits = s.replace(/[\s().-]/g, '');
  if (!/^\+?\d{7,15}$/.test(digits)) throw fail(field, `must be a phone number with its country code, 7 to 15 digits (e.g. +913857614343; got "${s}")`);
  return s;
}

function contact(v: unknown, field: string, withName: boolean): ContactDetails | GrievanceOfficer {
  const o = fromJsonText(v);
  if (o === undefined || o === null) throw fail(field, 'is required');
  if (!isObj(o)) throw fail(field, 'must be an object');
  onlyKeys(o, field, withName ? ['name', 'email', 'landline_number', 'mobile_number'] : ['email', 'landline_number', 'mobile_number']);
  const name = withName ? str(o.name, `${field}.name`, { max: MAX_NAME }) : undefined;
  const out: ContactDetails = { email: email(o.email, `${field}.email`) };
  const landline = phone(o.landline_number, `${field}.landline_number`);
  const mobile = phone(o.mobile_number, `${field}.mobile_number`);
  if (landline === undefined && mobile === undefined) throw fail(field, 'needs at least one of landline_number and mobile_number');
  if (landline !== undefined) out.landline_number = landline;
  if (mobile !== undefined) out.mobile_number = mobile;
  return name === undefined ? out : { name, ...out };
}

/** A POST's parameters checked as Meta checks them; a 400 naming the field otherwise. */
export function parseComplianceInfo(p: Obj): ComplianceInfo {
  onlyKeys(p, 'body', TOP_KEYS);
  if (p.messaging_product !== undefined && p.messaging_product !== 'whatsapp') throw fail('messaging_product', 'must be "whatsapp"');
  const entity_name = str(p.entity_name, 'entity_name', { max: MAX_NAME });
  const type = entityTypeOf(p.entity_type);
  const entity_type = (p.entity_type as string).trim();
  const entity_type_custom = optStr(p.entity_type_custom === '' ? undefined : p.entity_type_custom, 'entity_type_custom', { max: MAX_NAME });
  const registered = graphBool(p.is_registered, 'is_registered');
  if (registered === undefined && ASKS_REGISTRATION.includes(type)) {
    throw fail('is_registered', `is required when entity_type is ${type} (is the business registered under the applicable laws: true or false)`);
  }
  return {
    entity_name,
    entity_type,
    ...(entity_type_custom !== undefined ? { entity_type_custom } : {}),
    is_registered: registered ?? true,
    customer_care_details: contact(p.customer_care_details, 'customer_care_details', false),
    grievance_officer_details: contact(p.grievance_officer_details, 'grievance_officer_details', true) as GrievanceOfficer,
  };
}

/** What the number gave, or undefined before its first POST. */
export async function readComplianceInfo(deps: Deps, channelId: string): Promise<ComplianceInfo | undefined> {
  const row = await deps.db.kysely.selectFrom('business_compliance_info').select('info').where('channel_id', '=', channelId).executeTakeFirst();
  return row ? (JSON.parse(row.info) as ComplianceInfo) : undefined;
}

/** Replaces the number's record. */
export async function saveComplianceInfo(deps: Deps, channelId: string, info: ComplianceInfo): Promise<void> {
  const now = deps.clock.now().toISOString();
  const json = JSON.stringify(info);
  await deps.db.kysely
    .insertInto('business_compliance_info')
    .values({ channel_id: channelId, info: json, created_at: now, modified_at: now })
    .onConflict((oc) => oc.column('channel_id').doUpdateSet({ info: json, modified_at: now }))
    .execute();
}
