// reaction: {message_id, emoji} — emoji is one emoji, or "" to remove the reaction.
import { badValue, fail, obj, onlyKeys, str } from '../check.ts';
import type { TypeResult } from './common.ts';

// RGI_Emoji needs the `v` flag (Node 20 has it; built at run time so the ES2022 target compiles).
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
// Emoji WhatsApp shows without the variation selector, e.g. "❤" next to "❤️".
const PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function isSingleEmoji(s: string): boolean {
  let count = 0;
  for (const _ of graphemes.segment(s)) if (++count > 1) return false;
  return count === 1 && (RGI_EMOJI.test(s) || PICTOGRAPH.test(s));
}

export function reaction(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['message_id', 'emoji']);
  str(o.message_id, `${f}.message_id`, { max: 256 });
  if (o.emoji === undefined || o.emoji === null) throw fail(`${f}.emoji`, 'is required (an empty string removes the reaction)');
  if (typeof o.emoji !== 'string') throw fail(`${f}.emoji`, 'must be a string (an empty string removes the reaction)');
  if (o.emoji !== '' && !isSingleEmoji(o.emoji)) throw badValue(`${f}.emoji`, `must be a single emoji, or "" to remove the reaction (got "${o.emoji.slice(0, 20)}")`);
  return { content: o };
}
