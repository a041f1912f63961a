// A CalendarPicker (Flow JSON 6.1+) on the sandbox phone: its value and WhatsApp's checks of it.
//
// From Meta's Flow JSON reference (components, "CalendarPicker"): `mode` is "single" (default) or
// "range"; `min-date`, `max-date` and `unavailable-dates` are "YYYY-MM-DD"; `include-days` names the
// weekdays that may be picked ("Mon" … "Sun", all by default); `min-days` / `max-days` bound a
// range's length (range mode only). In range mode `label`, `helper-text`, `required`, `init-value`
// and `error-message` may each be an object {"start-date": …, "end-date": …} (there is no
// `start-label` / `end-label`). The value `${form.name}` gives, and what reaches the endpoint or the
// response_json: "YYYY-MM-DD" in single mode, {"start-date": "YYYY-MM-DD", "end-date": "YYYY-MM-DD"}
// in range mode.
//
// Where Meta's text leaves it open, the phone guesses (said again where it is done):
// - a range's length for min-days / max-days counts both ends (Mon–Wed is 3 days);
// - only a range's two ends are checked against unavailable-dates and include-days (the days
//   between may be unavailable, as for a hotel stay over a closed day);
// - a range whose end-date is not required may be sent with its start-date alone.
import { flag, resolve, text, type Scope, type Values } from './flow-expr.ts';

type Component = Record<string, unknown>;
export type RangeEnd = 'start-date' | 'end-date';
export const RANGE_ENDS: readonly RangeEnd[] = ['start-date', 'end-date'];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date written "YYYY-MM-DD" (the only form Flow JSON 6.1+, and so a CalendarPicker, uses), else undefined. */
function dateOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || !DATE.test(v)) return undefined;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : undefined;
}
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const DAY_MS = 86_400_000;
const isObj = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

export const isRange = (c: Component, scope: Scope): boolean => resolve(c.mode, scope) === 'range';

/** A property that range mode may give per end ({"start-date": …, "end-date": …}): the part for one end (or the whole, when it is not such an object). */
export function perEnd(v: unknown, end: RangeEnd, scope: Scope): unknown {
  const r = resolve(v, scope);
  return isObj(r) && (r['start-date'] !== undefined || r['end-date'] !== undefined) ? r[end] : r;
}

/** A property as text, for one end in range mode or as a whole in single mode ('' when absent). */
export function textOf(v: unknown, scope: Scope, end?: RangeEnd): string {
  if (v === undefined) return '';
  const r = end ? perEnd(v, end, scope) : resolve(v, scope);
  return r === undefined || isObj(r) ? '' : text(r, scope);
}

/** Whether a date (or a range's end) must be picked. */
export function requiredOf(c: Component, scope: Scope, end?: RangeEnd): boolean {
  const r = end ? perEnd(c.required, end, scope) : resolve(c.required, scope);
  return r === undefined || isObj(r) ? false : flag(r, scope, false);
}

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);

/**
 * The value a posted form gives a CalendarPicker: `f.<name>` holds a single date; a range comes as
 * `f.<name>.start-date` and `f.<name>.end-date`, giving {"start-date", "end-date"} (the ends left
 * empty left out). Undefined when nothing was picked. Which shape came is checked against the
 * component's mode later (calendarProblem), so a forged form gets an error, not a wrong value.
 */
export function postedCalendar(name: string, body: Values): unknown {
  const ends: Values = {};
  let ranged = false;
  for (const end of RANGE_ENDS) {
    const key = `f.${name}.${end}`;
    if (!(key in body)) continue;
    ranged = true;
    const s = one(body[key]);
    if (s !== undefined && s !== '') ends[end] = s.slice(0, 100);
  }
  if (ranged) return Object.keys(ends).length ? ends : undefined;
  const s = one(body[`f.${name}`]);
  return s === undefined || s === '' ? undefined : s.slice(0, 100);
}

/** A CalendarPicker's value when its screen opens, from `init-value` (or the Form's init-values). */
export function initialCalendar(v: unknown): unknown {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (!isObj(v)) return undefined;
  const out: Values = {};
  for (const end of RANGE_ENDS) if (typeof v[end] === 'string' && v[end] !== '') out[end] = v[end];
  return Object.keys(out).length ? out : undefined;
}

/** The dates a value shows in the page's date inputs (anything else, e.g. a state sent back altered, shows as empty). */
export function shownDates(value: unknown): { single: string; 'start-date': string; 'end-date': string } {
  const d = (v: unknown) => (typeof v === 'string' && DATE.test(v) ? v : '');
  return { single: d(value), 'start-date': isObj(value) ? d(value['start-date']) : '', 'end-date': isObj(value) ? d(value['end-date']) : '' };
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
};

/** The weekdays a date may fall on (`include-days`), or undefined when every day may be picked. */
export function includeDaysOf(c: Component, scope: Scope): string[] | undefined {
  const r = resolve(c['include-days'], scope);
  if (!Array.isArray(r)) return undefined;
  return r.filter((d): d is string => typeof d === 'string' && (DAYS as readonly string[]).includes(d));
}

/** The constraints one date must meet, as the page states them too. */
export interface DateRules {
  min?: string;
  max?: string;
  unavailable: string[];
  days?: string[];
}

export function rulesOf(c: Component, scope: Scope): DateRules {
  const min = dateOf(resolve(c['min-date'], scope));
  const max = dateOf(resolve(c['max-date'], scope));
  const u = resolve(c['unavailable-dates'], scope);
  const unavailable = Array.isArray(u) ? u.slice(0, 1000).flatMap((x) => dateOf(x) ?? []) : [];
  const days = includeDaysOf(c, scope);
  return { ...(min ? { min } : {}), ...(max ? { max } : {}), unavailable, ...(days ? { days } : {}) };
}

/** Why one date may not be picked, or undefined. */
function dateProblem(label: string, value: unknown, rules: DateRules): string | undefined {
  const d = dateOf(value);
  if (!d) return `“${label}” must be a date (YYYY-MM-DD).`;
  if (rules.min && d < rules.min) return `“${label}” must be on or after ${rules.min}.`;
  if (rules.max && d > rules.max) return `“${label}” must be on or before ${rules.max}.`;
  if (rules.unavailable.includes(d)) return `“${label}”: ${d} is not available.`;
  const day = DAYS[new Date(`${d}T00:00:00Z`).getUTCDay()]!;
  if (rules.days && !rules.days.includes(day)) return rules.days.length ? `“${label}”: ${d} is a ${day}, which cannot be picked (${rules.days.join(', ')} only).` : `“${label}”: no weekday can be picked (include-days is empty).`;
  return undefined;
}

/** Why a CalendarPicker's value would stop WhatsApp's Footer, or undefined when it is fine. */
export function calendarProblem(c: Component & { name: string }, value: unknown, scope: Scope): string | undefined {
  const rules = rulesOf(c, scope);
  if (!isRange(c, scope)) {
    const label = textOf(c.label, scope) || c.name;
    if (value === undefined) return requiredOf(c, scope) ? `“${label}” is required.` : undefined;
    if (typeof value !== 'string') return `“${label}” takes one date, not a range.`;
    return dateProblem(label, value, rules);
  }
  const labels = { 'start-date': textOf(c.label, scope, 'start-date') || 'Start date', 'end-date': textOf(c.label, scope, 'end-date') || 'End date' };
  // The range as a whole: its title, else its two labels (as the page names it).
  const whole = textOf(c.title, scope) || `${labels['start-date']} – ${labels['end-date']}`;
  if (value === undefined) {
    const missing = RANGE_ENDS.find((end) => requiredOf(c, scope, end));
    return missing ? `“${labels[missing]}” is required.` : undefined;
  }
  if (!isObj(value) || Object.keys(value).some((k) => !(RANGE_ENDS as readonly string[]).includes(k))) return `“${whole}” takes a range: a start date and an end date.`;
  for (const end of RANGE_ENDS) {
    if (value[end] === undefined) {
      if (requiredOf(c, scope, end)) return `“${labels[end]}” is required.`;
      continue;
    }
    const p = dateProblem(labels[end], value[end], rules);
    if (p) return p;
  }
  const start = value['start-date'] as string | undefined;
  const end = value['end-date'] as string | undefined;
  if (end !== undefined && start === undefined) return `Pick “${labels['start-date']}” before “${labels['end-date']}”.`;
  if (start === undefined || end === undefined) return undefined;
  if (end < start) return `“${labels['end-date']}” must be on or after “${labels['start-date']}”.`;
  // A guess: the range's length counts both its ends.
  const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS + 1;
  const min = int(resolve(c['min-days'], scope));
  const max = int(resolve(c['max-days'], scope));
  if (min !== undefined && days < min) return `“${whole}”: pick at least ${min} days (${days} picked).`;
  if (max !== undefined && days > max) return `“${whole}”: pick at most ${max} days (${days} picked).`;
  return undefined;
}
