// What every per-type validator shares: the flavour it validates for and the result it returns.
import type { Obj } from '../check.ts';
import type { TemplateRef } from '../message.ts';

export type Flavour = 'cloud' | 'onpremise';

export interface TypeResult {
  /** The type object as accepted. */
  content: Obj;
  template?: TemplateRef;
  /** An uploaded media id the message refers to (checked against the channel's uploads). */
  mediaId?: string;
}
