// How the sandbox phone draws a CalendarPicker (Flow JSON 6.1+): one `<input type="date">` in
// single mode, a start and an end date in range mode, with the picker's limits stated in words
// (a date input cannot grey out single days or weekdays; the server checks them all when the
// Footer is tapped: flow-calendar.ts). The eta view escapes every text.
import { text, type Scope } from './flow-expr.ts';
import { isRange, RANGE_ENDS, requiredOf, rulesOf, shownDates, textOf, type RangeEnd } from './flow-calendar.ts';

type Component = Record<string, unknown>;

export interface CalendarEnd {
  end: RangeEnd;
  id: string;
  label: string;
  required: boolean;
  value: string;
  helper?: string;
}

export interface CalendarNode {
  kind: 'calendar';
  label: string;
  required: boolean;
  helper: string | undefined;
  /** Single mode: the date shown. */
  value: string;
  /** Range mode: the start and the end. */
  ends?: CalendarEnd[];
  title?: string;
  description?: string;
  min?: string;
  max?: string;
  /** The limits a date input does not show (unavailable dates, weekdays, a range's length), in words. */
  limits: string[];
}

const MAX_LISTED = 20;

/** The node of a CalendarPicker (its value as the screen has it; anything malformed shows as empty). */
export function calendarNode(c: Component & { name: string }, value: unknown, scope: Scope, id: string): CalendarNode {
  const rules = rulesOf(c, scope);
  const range = isRange(c, scope);
  const shown = shownDates(value);
  const limits: string[] = [];
  if (rules.days) limits.push(rules.days.length ? `Only on ${rules.days.join(', ')}.` : 'No weekday may be picked.');
  if (rules.unavailable.length) {
    const listed = rules.unavailable.slice(0, MAX_LISTED).join(', ');
    limits.push(`Not available: ${listed}${rules.unavailable.length > MAX_LISTED ? ` and ${rules.unavailable.length - MAX_LISTED} more` : ''}.`);
  }
  if (range) {
    const min = text(c['min-days'], scope);
    const max = text(c['max-days'], scope);
    if (min) limits.push(`At least ${min} days.`);
    if (max) limits.push(`At most ${max} days.`);
  }
  const title = textOf(c.title, scope);
  const description = textOf(c.description, scope);
  const common = {
    kind: 'calendar' as const,
    ...(title ? { title } : {}),
    ...(description ? { description } : {}),
    ...(rules.min ? { min: rules.min } : {}),
    ...(rules.max ? { max: rules.max } : {}),
    limits,
  };
  if (!range) {
    const helper = textOf(c['helper-text'], scope);
    return { ...common, label: textOf(c.label, scope) || c.name, required: requiredOf(c, scope), value: shown.single, helper: helper || undefined };
  }
  const ends = RANGE_ENDS.map((end, i): CalendarEnd => {
    const helper = textOf(c['helper-text'], scope, end);
    return {
      end,
      id: `${id}-${i}`,
      label: textOf(c.label, scope, end) || (end === 'start-date' ? 'Start date' : 'End date'),
      required: requiredOf(c, scope, end),
      value: shown[end],
      ...(helper ? { helper } : {}),
    };
  });
  // No helper of its own: each end has its own (a FieldBase's helper drawn from an object would be its JSON).
  return { ...common, label: title || `${ends[0]!.label} – ${ends[1]!.label}`, required: ends.some((e) => e.required), helper: undefined, value: '', ends };
}

/** The flow's own error-message of a CalendarPicker (per end in range mode), as one text. */
export function calendarGivenError(c: Component, scope: Scope): string {
  if (!isRange(c, scope)) return textOf(c['error-message'], scope);
  const parts = RANGE_ENDS.map((end) => textOf(c['error-message'], scope, end)).filter(Boolean);
  return [...new Set(parts)].join(' ');
}
