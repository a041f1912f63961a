// The placeholder rules Meta applies when a template is created or edited, not later in review:
// it answers the request itself with a 400 instead of a PENDING template. Meta's error codes page,
// "Template creation errors":
//
//   2388299  Leading or trailing parameters not allowed — Variables cannot be at the start or end
//            of the template.
//   2388293  Parameters words ratio exceeds limit — This template has too many variables for its
//            length. Reduce the number of variables or increase the message length.
//
// Both come as (#100) "Invalid parameter" with error_subcode, error_user_title and error_user_msg.
// The titles and sentences used here are the ones clients quote from Meta's live answers, which
// differ a little from the page: "Leading or trailing params not allowed" / "Variables can't be at
// the start or end of the template." (e.g. Jaal-Yantra-Textiles/v2#2134) and "Params Words Ratio
// Exceeds Limit". Clients match on the subcode, or on "Leading or Trailing Params" / "Params Words
// Ratio" case-insensitively, which both spellings satisfy.
//
// What Meta leaves to its review stays in the sandbox's review (review.ts): placeholders side by
// side, names starting with reject_.
import { metaError } from '../errors.ts';
import type { Obj } from '../validate/check.ts';

export const DANGLING_SUBCODE = 2388299;
export const RATIO_SUBCODE = 2388293;
const DANGLING_TITLE = 'Leading or trailing params not allowed';
const DANGLING_MSG = "Variables can't be at the start or end of the template.";
const RATIO_TITLE = 'Params Words Ratio Exceeds Limit';
const RATIO_MSG = 'This template has too many variables for its length. Reduce the number of variables or increase the message length.';

const TOKEN = /\{\{.*?\}\}/g;
/** Scripts written without spaces between words: each character counts as a word. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/gu;

/**
 * The text begins or ends with a placeholder (white space around it not counting). Clients report
 * that Meta does not count punctuation either ("…{{2}}." is refused too); the sandbox is more
 * lenient there and counts it as text, so that it never refuses what Meta may take.
 */
export function danglingPlaceholder(text: string): boolean {
  const t = text.trim();
  return t.startsWith('{{') || t.endsWith('}}');
}

/** The words of a text outside its placeholders: runs holding a letter or digit. */
export function fixedWordCount(text: string): number {
  let n = 0;
  for (const token of text.replace(TOKEN, ' ').split(/\s+/)) {
    const unspaced = token.match(UNSPACED)?.length ?? 0;
    if (unspaced > 0) n += unspaced;
    else if (/[\p{L}\p{N}]/u.test(token)) n += 1;
  }
  return n;
}

/**
 * Too many placeholders for the text around them. Meta publishes no formula. Providers document
 * "total words ≥ 3 × variables + 1" and clients report refusals at about 2 fixed words per
 * placeholder ("Hi {{1}}! {{2}} starts at {{3}}. Are you coming?"), acceptance at 4.5. The sandbox
 * refuses only the clear cases, fewer fixed words than placeholders and one more ("Order {{1}}
 * and {{2}} now" passes, "Dear {{1}}: {{2}}, {{3}} ok" does not), so that it never refuses what
 * Meta may take. A placeholder used twice counts twice.
 */
export function tooManyPlaceholders(text: string): boolean {
  const placeholders = text.match(TOKEN)?.length ?? 0;
  return placeholders > 0 && fixedWordCount(text) < placeholders + 1;
}

function refusal(field: string, subcode: number, title: string, msg: string) {
  return metaError(400, 100, 'Invalid parameter', `${field}: ${title}: ${msg} (error_subcode ${subcode})`, { subcode, userTitle: title, userMsg: msg });
}

/**
 * Refuses, as Meta does at once, a template whose BODY begins or ends with a placeholder (2388299)
 * or has too many placeholders for its length (2388293). `components` are checked and stored ones
 * (components.ts); `f` the field they came in. An AUTHENTICATION body is Meta's own text.
 */
export function checkSyncPlaceholderRules(components: Obj[], category: string, original: unknown, f = 'components'): void {
  if (category === 'AUTHENTICATION') return;
  const body = components.find((c) => c.type === 'BODY');
  const text = typeof body?.text === 'string' ? body.text : '';
  if (!text.includes('{{')) return;
  // The field as sent (the stored order may differ from the request's).
  const sent = Array.isArray(original) ? original.findIndex((c) => typeof (c as Obj)?.type === 'string' && ((c as Obj).type as string).toUpperCase() === 'BODY') : -1;
  const field = sent >= 0 ? `${f}[${sent}].text` : `${f}.BODY.text`;
  if (danglingPlaceholder(text)) throw refusal(field, DANGLING_SUBCODE, DANGLING_TITLE, DANGLING_MSG);
  if (tooManyPlaceholders(text)) throw refusal(field, RATIO_SUBCODE, RATIO_TITLE, RATIO_MSG);
}
