// The input components of a Flow screen on the sandbox phone: what the user entered (read from the
// posted form as the value WhatsApp puts in `${form.name}`) and WhatsApp's checks of it before a
// Footer may navigate or complete: required fields, lengths, input types, choices among the
// options, a date within its range.
import { flag, resolve, text, type Scope, type Values } from './flow-expr.ts';

export type Component = Record<string, unknown>;

export const FIELD_TYPES = ['TextInput', 'TextArea', 'Dropdown', 'RadioButtonsGroup', 'CheckboxGroup', 'ChipsSelector', 'OptIn', 'DatePicker'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const isField = (c: Component): c is Component & { type: FieldType; name: string } =>
  (FIELD_TYPES as readonly unknown[]).includes(c.type) && typeof c.name === 'string' && c.name !== '';

/** TextInput's max-chars and TextArea's max-length when the flow sets none (Meta's defaults). */
const TEXT_INPUT_MAX = 80;
const TEXT_AREA_MAX = 600;

export interface Option {
  id: string;
  title: string;
  description?: string;
  disabled: boolean;
}

/** A component's options (`data-source`: an array, or a reference to one). */
export function optionsOf(c: Component, scope: Scope): Option[] {
  const src = resolve(c['data-source'], scope);
  if (!Array.isArray(src)) return [];
  return src.slice(0, 200).flatMap((o): Option[] => {
    if (o === null || typeof o !== 'object') return [];
    const x = o as Values;
    if (typeof x.id !== 'string' && typeof x.id !== 'number') return [];
    const description = x.description === undefined ? undefined : text(x.description, scope);
    return [{ id: String(x.id), title: text(x.title ?? x.id, scope), ...(description ? { description } : {}), disabled: x.enabled === false }];
  });
}

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);

/** The value a posted form gives a field, as WhatsApp passes it on: text, an id, ids, a boolean; undefined when left empty. */
export function postedValue(c: Component & { type: FieldType }, raw: unknown): unknown {
  switch (c.type) {
    case 'CheckboxGroup':
    case 'ChipsSelector': {
      const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((x): x is string => typeof x === 'string' && x !== '');
      return list.length ? [...new Set(list)].slice(0, 200) : undefined;
    }
    case 'OptIn':
      return one(raw) === 'on';
    default: {
      const s = one(raw);
      return s === undefined || s === '' ? undefined : s.slice(0, 10_000);
    }
  }
}

/** A field's value when its screen opens: `init-value`, or the Form's `init-values` for it. */
export function initialValue(c: Component & { type: FieldType; name: string }, formInit: Values | undefined, scope: Scope): unknown {
  const v = resolve(c['init-value'] ?? formInit?.[c.name], scope);
  if (c.type === 'OptIn') return v === true;
  if (c.type === 'CheckboxGroup' || c.type === 'ChipsSelector') return Array.isArray(v) ? v.map(String) : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A date as YYYY-MM-DD: from that text, or from epoch milliseconds (Flow JSON before 5.0). */
export function dateOf(v: unknown): string | undefined {
  if (typeof v === 'string' && DATE.test(v)) {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : undefined;
  }
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? new Date(n).toISOString().slice(0, 10) : undefined;
}

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

const INPUT_TYPES: Record<string, { test: RegExp; says: string }> = {
  email: { test: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, says: 'an email address' },
  number: { test: /^[+-]?(\d+([.,]\d+)?)$/, says: 'a number' },
  phone: { test: /^\+?[\d\s().-]{5,20}$/, says: 'a phone number' },
  passcode: { test: /^\d+$/, says: 'digits only' },
};

/** Why a field's value would stop WhatsApp's Footer, or undefined when it is fine. */
export function fieldProblem(c: Component & { type: FieldType }, value: unknown, scope: Scope): string | undefined {
  const label = text(c.label, scope) || c.name;
  const required = flag(c.required, scope, false);
  const empty = value === undefined || value === false || (typeof value === 'string' && value.trim() === '');
  if (empty) return required ? (c.type === 'OptIn' ? `“${label}” must be checked.` : `“${label}” is required.`) : undefined;
  switch (c.type) {
    case 'TextInput': {
      const s = String(value);
      const len = [...s].length;
      const min = int(resolve(c['min-chars'], scope));
      const max = int(resolve(c['max-chars'], scope)) ?? TEXT_INPUT_MAX;
      if (min !== undefined && len < min) return `“${label}” needs at least ${min} characters.`;
      if (len > max) return `“${label}” takes at most ${max} characters.`;
      const kind = INPUT_TYPES[String(resolve(c['input-type'], scope) ?? 'text')];
      if (kind && !kind.test.test(s.trim())) return `“${label}” must be ${kind.says}.`;
      return undefined;
    }
    case 'TextArea': {
      const max = int(resolve(c['max-length'], scope)) ?? TEXT_AREA_MAX;
      return [...String(value)].length > max ? `“${label}” takes at most ${max} characters.` : undefined;
    }
    case 'Dropdown':
    case 'RadioButtonsGroup': {
      const ok = optionsOf(c, scope).some((o) => o.id === value && !o.disabled);
      return ok ? undefined : `Choose one of the options of “${label}”.`;
    }
    case 'CheckboxGroup':
    case 'ChipsSelector': {
      const ids = value as string[];
      const options = optionsOf(c, scope);
      if (!ids.every((id) => options.some((o) => o.id === id && !o.disabled))) return `Choose among the options of “${label}”.`;
      const min = int(resolve(c['min-selected-items'], scope));
      const max = int(resolve(c['max-selected-items'], scope));
      if (min !== undefined && ids.length < min) return `Choose at least ${min} of “${label}”.`;
      if (max !== undefined && ids.length > max) return `Choose at most ${max} of “${label}”.`;
      return undefined;
    }
    case 'DatePicker': {
      const d = dateOf(value);
      if (!d || typeof value !== 'string' || !DATE.test(value)) return `“${label}” must be a date (YYYY-MM-DD).`;
      const min = dateOf(resolve(c['min-date'], scope));
      const max = dateOf(resolve(c['max-date'], scope));
      if (min && d < min) return `“${label}” must be on or after ${min}.`;
      if (max && d > max) return `“${label}” must be on or before ${max}.`;
      const unavailable = resolve(c['unavailable-dates'], scope);
      if (Array.isArray(unavailable) && unavailable.some((u) => dateOf(u) === d)) return `“${label}”: ${d} is not available.`;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The value `${form.name}` gives: as entered, except a DatePicker's date, which Flow JSON 5.0 and
 * later give as "YYYY-MM-DD" and earlier versions as epoch milliseconds (as a string).
 */
export function formValue(c: Component & { type: FieldType }, value: unknown, jsonVersion: string): unknown {
  if (c.type !== 'DatePicker' || typeof value !== 'string') return value;
  if (Number(jsonVersion.split('.')[0]) >= 5) return value;
  const d = dateOf(value);
  return d ? String(Date.parse(`${d}T00:00:00Z`)) : value;
}
