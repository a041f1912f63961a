// What stands where WhatsApp would. A channel names its network; each implementation decides
// what becomes of an accepted message and reports statuses back through applyStatus.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { MediaKind } from '../messaging/media/types.ts';
import type { OutboundStatus, StatusError } from '../messaging/statuses.ts';
import type { ChannelRow } from '../services/channels.ts';

export interface AcceptedMessage {
  id: string;
  channel: ChannelRow;
  waId: string;
  type: string;
  /** Template sends may go outside the 24-hour customer-service window. */
  isTemplate: boolean;
  acceptedAt: Date;
  /** A media message (image, audio, …) that sends an upload by id: the kind it goes as and the upload's stored type. */
  media?: { id: string; kind: MediaKind; mime: string };
  /** Sent to the user's BSUID (Cloud `recipient`), resolved to the sandbox user's number (send.ts). */
  toBsuid?: boolean;
  /** Sent to a group of the number's (Meta's Groups API): `waId` is the group id (messaging/group-send.ts). */
  group?: boolean;
  /** The message's pricing category (send.ts: `service`, or the template's category). */
  category?: string;
  /** Cloud API: the send's biz_opaque_callback_data, echoed in every status of the message. */
  opaque?: string;
  /** An audio message sent as a voice note (`audio.voice: true`): it gets `played` after `read`. */
  voice?: boolean;
}

/**
 * What a sandbox status shows of its recipient beyond their number and BSUID, as the user was when
 * the message was accepted (kept in the plan, so a status round reads no user row): their
 * username, and whether the number is left out (a send to the BSUID of a user who hides it).
 */
export interface StatusRecipient {
  username?: string;
  hideNumber?: true;
}

/** One status an accepted message will get, at a time (ms since epoch); steps come in time order. */
export interface StatusStep {
  status: OutboundStatus;
  at: number;
  error?: StatusError;
  /** Set only for a user with a username or a hidden number: other plans are stored as before. */
  recipient?: StatusRecipient;
  /**
   * The send's biz_opaque_callback_data, kept in the plan (set only on messages sent with it: no
   * other plan grows) and echoed in each status as Meta does.
   */
  opaque?: string;
  /** A utility template sent inside an open customer service window: free under per-message pricing (statuses.ts). */
  freeInWindow?: true;
}

export interface Network {
  /**
   * Called in the transaction that stores the message, before it is written: decides what
   * happens to it next. Returned steps are stored with the message and carried out when due
   * (src/messaging/status-plans.ts).
   */
  accept(deps: Deps, tx: Transaction<Database>, msg: AcceptedMessage): Promise<StatusStep[] | undefined>;
}
