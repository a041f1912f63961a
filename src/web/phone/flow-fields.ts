// The input components of a Flow screen on the sandbox phone: what the user entered (read from the
// posted form as the value WhatsApp puts in `${form.name}`) and WhatsApp's checks of it before a
// Footer may navigate or complete: required fields, lengths (min-chars, max-chars, max-length),
// input types, a TextInput's pattern, choices among the options, a date within its range.
import vm from 'node:vm';
import { flag, resolve, text, type Scope, type Values } from './flow-expr.ts';
import { calendarProblem, initialCalendar } from './flow-calendar.ts';
import { isPickedFile } from '../../messaging/flows/flow-media.ts';
import { countProps, MAX_UPLOADS } from '../../messaging/flows/flow-json-media.ts';

export type Component = Record<string, unknown>;

export const FIELD_TYPES = ['TextInput', 'TextArea', 'Dropdown', 'RadioButtonsGroup', 'CheckboxGroup', 'ChipsSelector', 'OptIn', 'DatePicker', 'CalendarPicker', 'PhotoPicker', 'DocumentPicker'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];
export const isField = (c: Component): c is Component & { type: FieldType; name: string } =>
  (FIELD_TYPES as readonly unknown[]).includes(c.type) && typeof c.name === 'string' && c.name !== '';

/** Whether an input component runs an action when the user selects or unselects (on-select-action / on-unselect-action, Flow JSON 6.0+). */
export const hasSelectAction = (c: Component): boolean => {
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  return c.type !== 'TextInput' && c.type !== 'TextArea' && (isObj(c['on-select-action']) || isObj(c['on-unselect-action']));
};

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
    case 'CalendarPicker':
      // Already read from the form's one or two date fields (postedCalendar).
      return raw;
    case 'PhotoPicker':
    case 'DocumentPicker':
      // The files kept and picked, put there by the page's upload (flow-upload.ts): never a posted text field.
      return Array.isArray(raw) && raw.length > 0 && raw.every(isPickedFile) ? raw.slice(0, MAX_UPLOADS) : undefined;
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
  if (c.type === 'CalendarPicker') return initialCalendar(v);
  // Meta: a picker takes no init-value (the Flow JSON check refuses one).
  if (c.type === 'PhotoPicker' || c.type === 'DocumentPicker') return undefined;
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

/** The input types whose value a TextInput's `pattern` checks (Meta: text, number, password, passcode). */
const PATTERN_INPUT_TYPES = ['text', 'number', 'password', 'passcode'];
/** The longest `pattern` the phone compiles (a flow's regex runs on the server here, not on the user's phone). */
export const MAX_PATTERN_CHARS = 1000;

/**
 * A TextInput's `pattern` (Flow JSON 6.2+) as a regular expression the whole value must match, as
 * a phone's matcher does (`^(?:…)$`); undefined without one, or when it is not a regex JavaScript
 * reads (the screen says so: patternProblem).
 */
export function patternOf(c: Component, scope: Scope): RegExp | undefined {
  const p = resolve(c.pattern, scope);
  if (typeof p !== 'string' || p === '' || p.length > MAX_PATTERN_CHARS) return undefined;
  try {
    return new RegExp(`^(?:${p})$`, 'u');
  } catch {
    try {
      return new RegExp(`^(?:${p})$`);
    } catch {
      return undefined;
    }
  }
}

/** How long one pattern check may run: the flow's regex runs on the server here, where one that backtracks without end would stall it. */
export const PATTERN_TIMEOUT_MS = 50;
let patternContext: vm.Context | undefined;

/**
 * Whether the value matches the pattern, run in a separate V8 context with a time limit (V8
 * interrupts a regex that runs over it): 'timeout' then.
 */
export function patternMatches(re: RegExp, value: string): boolean | 'timeout' {
  patternContext ??= vm.createContext(Object.create(null));
  patternContext.source = re.source;
  patternContext.flags = re.flags;
  patternContext.value = value;
  try {
    return vm.runInContext('new RegExp(source, flags).test(value)', patternContext, { timeout: PATTERN_TIMEOUT_MS }) === true;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'timeout';
    throw e;
  } finally {
    patternContext.value = undefined;
  }
}

/** Why the phone cannot check a TextInput's `pattern` (shown as a notice), or undefined. */
export function patternProblem(c: Component, scope: Scope): string | undefined {
  if (c.type !== 'TextInput' || c.pattern === undefined) return undefined;
  const p = resolve(c.pattern, scope);
  const name = typeof c.name === 'string' ? c.name : 'a field';
  if (typeof p !== 'string') return `The pattern of “${name}” is not a string: not checked.`;
  if (p.length > MAX_PATTERN_CHARS) return `The pattern of “${name}” is longer than ${MAX_PATTERN_CHARS} characters: not checked by the sandbox phone.`;
  if (p !== '' && !patternOf(c, scope)) return `The pattern of “${name}” is not a regular expression the sandbox phone can read: not checked.`;
  const inputType = String(resolve(c['input-type'], scope) ?? 'text');
  if (!PATTERN_INPUT_TYPES.includes(inputType)) return `“${name}” has input-type ${inputType}, which a pattern does not apply to (WhatsApp checks it for text, number, password and passcode): not checked.`;
  return undefined;
}

/** Why a field's value would stop WhatsApp's Footer, or undefined when it is fine. */
export function fieldProblem(c: Component & { type: FieldType; name: string }, value: unknown, scope: Scope): string | undefined {
  if (c.type === 'CalendarPicker') return calendarProblem(c, value, scope);
  if (c.type === 'PhotoPicker' || c.type === 'DocumentPicker') return pickerProblem(c as Component & { type: 'PhotoPicker' | 'DocumentPicker'; name: string }, value, scope);
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
      const inputType = String(resolve(c['input-type'], scope) ?? 'text');
      const kind = INPUT_TYPES[inputType];
      if (kind && !kind.test.test(s.trim())) return `“${label}” must be ${kind.says}.`;
      const pattern = patternOf(c, scope);
      const matches = pattern && PATTERN_INPUT_TYPES.includes(inputType) ? patternMatches(pattern, s) : true;
      if (matches === 'timeout') return `“${label}”: its pattern took longer than ${PATTERN_TIMEOUT_MS} ms to check (a regex that backtracks without end?): the sandbox phone stops it.`;
      if (!matches) {
        const helper = c['helper-text'] !== undefined ? text(c['helper-text'], scope) : '';
        return helper ? `“${label}” is not in the expected format: ${helper}` : `“${label}” is not in the expected format.`;
      }
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

/** A picker's count against its min-uploaded-… and max-uploaded-… (the files themselves were checked as they came). */
function pickerProblem(c: Component & { type: 'PhotoPicker' | 'DocumentPicker'; name: string }, value: unknown, scope: Scope): string | undefined {
  const label = text(c.label, scope) || c.name;
  const { min: minProp, max: maxProp, noun } = countProps(c.type);
  const n = Array.isArray(value) ? value.length : 0;
  const min = int(resolve(c[minProp], scope)) ?? 0;
  const max = int(resolve(c[maxProp], scope)) ?? MAX_UPLOADS;
  const one = noun.slice(0, -1);
  if (n < min) return `“${label}” needs at least ${min} ${min === 1 ? one : noun} (${n} attached).`;
  if (n > max) return `“${label}” takes at most ${max} ${max === 1 ? one : noun} (${n} attached).`;
  return undefined;
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
