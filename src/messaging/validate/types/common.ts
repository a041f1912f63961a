// What every per-type validator shares: the flavour it validates for and the result it returns.
import type { Obj } from '../check.ts';
import type { TemplateRef } from '../message.ts';
import type { FlowRef } from './interactive-links.ts';
import type { OrderSendChecks } from './interactive-payments.ts';

export type { Flavour } from '../../errors.ts';

export interface TypeResult {
  /** The type's value as accepted: an object, or for contacts the array of contacts. */
  content: Obj | unknown[];
  template?: TemplateRef;
  /** An uploaded media id the message refers to (checked against the channel's uploads). */
  mediaId?: string;
  /** Several uploaded media ids the message refers to (a carousel's card headers), each checked like mediaId. */
  mediaIds?: string[];
  /** The flow a flow message names (checked against the WABA's stored flows). */
  flow?: FlowRef;
  /** An order_details message's payment configurations and expiration, checked when sent (payments/send-check.ts). */
  payment?: OrderSendChecks;
}
