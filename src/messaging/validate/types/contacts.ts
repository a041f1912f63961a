// contacts: 1–257 contact cards. Each needs name.formatted_name; phones, emails, urls and
// addresses are arrays of small objects; org is an object; birthday is YYYY-MM-DD.
// An optional field may be "" (as not given): n8n's WhatsApp Business Cloud node sends every value
// of a contact entry, "" for each the user left empty (name parts, address parts, org fields, a
// phone's wa_id), and Meta takes that card (n8n-io/n8n#14460 shows such a body sent to Meta). The
// required one, formatted_name, must not be empty. An email's `email` and a url's `url` are
// optional too, as Meta documents every field of those objects (and of org): Evolution API's
// Business channel writes `urls: [{url}]`, `emails: [{email}]` and `org: {company}` on every card,
// so a card sent without them carries `[{}]` and `{}`.
import { arr, badValue, fail, fromJsonText, obj, onlyKeys, optObj, optStr, str, type Obj } from '../check.ts';
import type { TypeResult } from './common.ts';

export const CONTACTS_MAX = 257;
const S = { max: 1000 };
/** An optional field: empty allowed. */
const OPTIONAL = { max: 1000, min: 0 };

function strings(o: Obj, f: string, keys: readonly string[]): void {
  onlyKeys(o, f, keys);
  for (const k of keys) optStr(o[k], `${f}.${k}`, OPTIONAL);
}

const given = (v: unknown) => v !== undefined && v !== '';

function list(v: unknown, f: string, keys: readonly string[]): Obj[] {
  if (v === undefined) return [];
  return arr(v, f, { max: 100 }).map((item, i) => {
    const o = obj(item, `${f}[${i}]`);
    strings(o, `${f}[${i}]`, keys);
    return o;
  });
}

/** A calendar date written YYYY-MM-DD that exists (no 2023-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function contact(v: unknown, f: string): void {
  const o = obj(v, f);
  onlyKeys(o, f, ['name', 'phones', 'emails', 'urls', 'addresses', 'org', 'birthday']);
  const name = obj(o.name, `${f}.name`);
  strings(name, `${f}.name`, ['formatted_name', 'first_name', 'last_name', 'middle_name', 'suffix', 'prefix']);
  str(name.formatted_name, `${f}.name.formatted_name`, S);
  list(o.phones, `${f}.phones`, ['phone', 'type', 'wa_id']).forEach((p, i) => {
    if (!given(p.phone) && !given(p.wa_id)) throw fail(`${f}.phones[${i}]`, 'needs phone (or wa_id)');
  });
  list(o.emails, `${f}.emails`, ['email', 'type']);
  list(o.urls, `${f}.urls`, ['url', 'type']);
  list(o.addresses, `${f}.addresses`, ['street', 'city', 'state', 'zip', 'country', 'country_code', 'type']);
  const org = optObj(o.org, `${f}.org`);
  if (org) strings(org, `${f}.org`, ['company', 'department', 'title']);
  const birthday = optStr(o.birthday, `${f}.birthday`, { max: 10 });
  if (birthday !== undefined && !isCalendarDate(birthday)) throw badValue(`${f}.birthday`, `must be a date written YYYY-MM-DD (got "${birthday}")`);
}

export function contacts(v: unknown, f: string): TypeResult {
  // Also as its JSON text (fromJsonText: whatsapp-api-js sends it so); stored as the array.
  const items = arr(fromJsonText(v), f, { min: 1, max: CONTACTS_MAX });
  items.forEach((c, i) => contact(c, `${f}[${i}]`));
  return { content: items };
}
