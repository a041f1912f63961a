// text: {body ≤ 4096, preview_url?}. On-Premise puts preview_url at the top level (message.ts
// copies it in); both flavours accept it inside `text` too.
import { bool, obj, onlyKeys, str } from '../check.ts';
import type { TypeResult } from './common.ts';

export const TEXT_BODY_MAX = 4096;

export function text(v: unknown, f: string): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['body', 'preview_url']);
  str(o.body, `${f}.body`, { max: TEXT_BODY_MAX });
  bool(o.preview_url, `${f}.preview_url`);
  return { content: o };
}
