// A channel's business profile (about text, address, description, e-mail, vertical, websites,
// picture URL), kept in its channels row. Both flavours read and write the same fields: Cloud at
// /whatsapp_business_profile, On-Premise at /v1/settings/business/profile and
// /v1/settings/profile/about. The On-Premise API names verticals by label ("Shopping and
// Retail"), the Cloud API by code ("RETAIL"); the row keeps the code.
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { arr, fail, oneOf, str, type Obj } from './validate/check.ts';

export const PROFILE_FIELDS = ['about', 'address', 'description', 'email', 'profile_picture_url', 'websites', 'vertical'] as const;

/** Cloud vertical codes with the On-Premise API's label for each. */
const VERTICAL_LABELS = {
  UNDEFINED: '',
  OTHER: 'Other',
  AUTO: 'Automotive',
  BEAUTY: 'Beauty, Spa and Salon',
  APPAREL: 'Clothing and Apparel',
  EDU: 'Education',
  ENTERTAIN: 'Entertainment',
  EVENT_PLAN: 'Event Planning and Service',
  FINANCE: 'Finance and Banking',
  GROCERY: 'Food and Grocery',
  GOVT: 'Public Service',
  HOTEL: 'Hotel and Lodging',
  HEALTH: 'Medical and Health',
  NONPROFIT: 'Non-profit',
  PROF_SERVICES: 'Professional Services',
  RETAIL: 'Shopping and Retail',
  TRAVEL: 'Travel and Transportation',
  RESTAURANT: 'Restaurant',
  NOT_A_BIZ: 'Not a Business',
} as const;
type Vertical = keyof typeof VERTICAL_LABELS;
const VERTICALS = Object.keys(VERTICAL_LABELS) as Vertical[];

export interface BusinessProfile {
  about: string;
  address: string;
  description: string;
  email: string;
  profile_picture_url: string;
  websites: string[];
  /** The Cloud code. */
  vertical: Vertical;
}

export function readProfile(ch: ChannelRow): BusinessProfile {
  return {
    about: ch.profile_about_text ?? '',
    address: ch.profile_address ?? '',
    description: ch.profile_business_description ?? '',
    email: ch.profile_contact_email ?? '',
    profile_picture_url: ch.profile_picture_url ?? '',
    websites: ch.profile_websites ? (JSON.parse(ch.profile_websites) as string[]) : [],
    vertical: ((VERTICALS as string[]).includes(ch.profile_business_vertical ?? '') ? ch.profile_business_vertical : 'UNDEFINED') as Vertical,
  };
}

/** The On-Premise API's label of a vertical code. */
export const verticalLabel = (code: Vertical): string => VERTICAL_LABELS[code];

/** A vertical as the On-Premise API gives it: its label (any case) or, as a courtesy, the Cloud code. */
function onPremVertical(v: unknown): Vertical {
  const s = str(v, 'vertical', { max: 128, min: 0 });
  const byLabel = VERTICALS.find((c) => VERTICAL_LABELS[c].toLowerCase() === s.trim().toLowerCase());
  if (byLabel) return byLabel;
  if ((VERTICALS as string[]).includes(s)) return s as Vertical;
  throw fail('vertical', `must be one of ${VERTICALS.map((c) => VERTICAL_LABELS[c]).filter(Boolean).map((l) => `"${l}"`).join(', ')} (or "" for none)`);
}

type ProfileColumns = Partial<Pick<ChannelRow, 'profile_about_text' | 'profile_address' | 'profile_business_description' | 'profile_contact_email' | 'profile_business_vertical' | 'profile_websites'>>;

/**
 * The columns an update sets, from the fields the body gives (each checked, with Meta's
 * limits; a field not given, or null, is left as it is). `flavour` decides how a vertical is named.
 */
export function profileChanges(b: Obj, flavour: 'cloud' | 'onpremise'): ProfileColumns {
  // A null field is a field not given: WABA360Dialog.NET's profile update (Newtonsoft, nulls
  // written) sends every field it was not told, and none of them should be refused or cleared.
  // Clearing takes "" (or [] for websites), as before.
  b = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== null));
  const set: ProfileColumns = {};
  if (b.about !== undefined) set.profile_about_text = aboutText(b.about, 'about');
  if (b.address !== undefined) set.profile_address = str(b.address, 'address', { max: 256, min: 0 });
  if (b.description !== undefined) set.profile_business_description = str(b.description, 'description', { max: 512, min: 0 });
  if (b.email !== undefined) {
    const e = str(b.email, 'email', { max: 128, min: 0 });
    if (e && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) throw fail('email', 'must be an e-mail address');
    set.profile_contact_email = e;
  }
  if (b.vertical !== undefined) set.profile_business_vertical = flavour === 'cloud' ? oneOf(b.vertical, 'vertical', VERTICALS) : onPremVertical(b.vertical);
  if (b.websites !== undefined) {
    const sites = arr(b.websites, 'websites', { max: 2 }).map((w, i) => {
      const s = str(w, `websites[${i}]`, { max: 256 });
      if (!/^https?:\/\//.test(s)) throw fail(`websites[${i}]`, 'must start with http:// or https://');
      return s;
    });
    set.profile_websites = JSON.stringify(sites);
  }
  return set;
}

/** The "about" text: 1 to 139 characters, as WhatsApp allows. */
export function aboutText(v: unknown, field: string): string {
  return str(v, field, { max: 139 });
}

export async function saveProfile(deps: Deps, channel: ChannelRow, set: ProfileColumns): Promise<void> {
  if (Object.keys(set).length === 0) return;
  await deps.db.kysely.updateTable('channels').set({ ...set, modified_at: deps.clock.now().toISOString() }).where('id', '=', channel.id).execute();
}
