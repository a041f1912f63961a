// Template placeholders: positional `{{1}}`, `{{2}}` … (numbered from 1 without gaps) or named
// `{{order_id}}` (lower-case letters, digits and underscores, starting with a letter) — never
// both in one template. Meta calls the two kinds POSITIONAL and NAMED (`parameter_format`).
import { fail } from '../validate/check.ts';

export type ParameterFormat = 'POSITIONAL' | 'NAMED';

export interface PlaceholderInfo {
  /** null: the text has no placeholder. */
  format: ParameterFormat | null;
  /** Distinct placeholders in order of first appearance: '1', '2' … or the names. */
  names: string[];
  /** Every occurrence, in order (a placeholder may repeat). */
  occurrences: string[];
}

const TOKEN = /\{\{(.*?)\}\}/g;
const POSITIONAL = /^[1-9]\d{0,2}$/;
const NAMED = /^[a-z][a-z0-9_]{0,99}$/;

/** Distinct placeholders of a stored (already valid) text: {{1}}, {{2}} … or names. */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set([...text.matchAll(TOKEN)].map((m) => m[1]!.trim()))];
}

/** Parses and checks the placeholders of a text being created; a violation names the field. */
export function analyzePlaceholders(text: string, field: string): PlaceholderInfo {
  const occurrences: string[] = [];
  let format: ParameterFormat | null = null;
  for (const m of text.matchAll(TOKEN)) {
    const inner = m[1]!;
    const kind: ParameterFormat | undefined = POSITIONAL.test(inner) ? 'POSITIONAL' : NAMED.test(inner) ? 'NAMED' : undefined;
    if (!kind) {
      throw fail(field, `contains an invalid placeholder {{${inner.slice(0, 40)}}}: use {{1}}, {{2}} … or a name of lower-case letters, digits and underscores such as {{order_id}}`);
    }
    if (format && format !== kind) throw fail(field, 'mixes numbered ({{1}}) and named ({{name}}) placeholders; use one kind');
    format = kind;
    occurrences.push(inner);
  }
  const stray = text.replace(TOKEN, '');
  if (stray.includes('{{') || stray.includes('}}')) throw fail(field, 'contains an unmatched "{{" or "}}"');
  const names = [...new Set(occurrences)];
  if (format === 'POSITIONAL') {
    const nums = names.map(Number).sort((a, b) => a - b);
    nums.forEach((n, i) => {
      if (n !== i + 1) throw fail(field, `placeholders must be numbered {{1}} to {{${nums.length}}} without gaps (found {{${nums.join('}}, {{')}}})`);
    });
  }
  return { format, names, occurrences };
}

/** Placeholders sitting next to each other with only spaces between, e.g. "{{1}} {{2}}". */
export function hasAdjacentPlaceholders(text: string): boolean {
  return /\}\}\s*\{\{/.test(text);
}
