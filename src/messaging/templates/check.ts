// A template send is checked against the stored template: it must exist in that language and be
// approved (Meta's 132001), and its parameters must match the template's placeholders (132000).
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import type { TemplateRef } from '../validate/message.ts';
import { findTemplate } from './store.ts';

interface StoredComponent {
  type?: string;
  format?: string;
  text?: string;
  buttons?: { type?: string; url?: string; text?: string }[];
}

/** Placeholders in a template text: {{1}}, {{2}} … or named {{order_id}}. */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  return [...new Set([...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]!))];
}

function paramsOf(components: TemplateRef['components'], type: string): unknown[] {
  const c = components.find((x) => typeof x.type === 'string' && x.type.toLowerCase() === type);
  return c && Array.isArray(c.parameters) ? c.parameters : [];
}

/** Returns the template's category (lower-case), the pricing category of the message. */
export async function checkTemplateSend(deps: Deps, channel: ChannelRow, ref: TemplateRef): Promise<string> {
  const t = await findTemplate(deps, channel.waba_account_id, ref.name, ref.language);
  if (!t) {
    throw metaError(404, 132001, 'Template name does not exist in the translation', `template name (${ref.name}) does not exist in ${ref.language}`);
  }
  if (t.status !== 'APPROVED') {
    throw metaError(400, 132001, 'Template name does not exist in the translation', `template ${ref.name} (${ref.language}) is ${t.status}, not APPROVED`);
  }
  const stored = JSON.parse(t.components) as StoredComponent[];
  for (const part of ['header', 'body'] as const) {
    const comp = stored.find((c) => c.type?.toLowerCase() === part);
    const expected = comp && (part === 'body' || (comp.format ?? 'TEXT').toUpperCase() === 'TEXT') ? placeholders(comp.text).length : 0;
    const mediaHeader = part === 'header' && comp && comp.format && comp.format.toUpperCase() !== 'TEXT' ? 1 : 0;
    const given = paramsOf(ref.components, part).length;
    const want = expected + mediaHeader;
    if (given !== want) {
      throw metaError(
        400,
        132000,
        'Number of parameters does not match the expected number of params',
        `${part}: number of localizable_params (${given}) does not match the expected number of params (${want})`,
      );
    }
  }
  return t.category.toLowerCase();
}
