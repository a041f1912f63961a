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
}

/** One status an accepted message will get, at a time (ms since epoch); steps come in time order. */
export interface StatusStep {
  status: OutboundStatus;
  at: number;
  error?: StatusError;
}

export interface Network {
  /**
   * Called in the transaction that stores the message, before it is written: decides what
   * happens to it next. Returned steps are stored with the message and carried out when due
   * (src/messaging/status-plans.ts).
   */
  accept(deps: Deps, tx: Transaction<Database>, msg: AcceptedMessage): Promise<StatusStep[] | undefined>;
}
