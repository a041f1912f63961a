// What stands where WhatsApp would. A channel names its network; each implementation decides
// what becomes of an accepted message and reports statuses back through applyStatus.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';

export interface AcceptedMessage {
  id: string;
  channel: ChannelRow;
  waId: string;
  type: string;
  /** Template sends may go outside the 24-hour customer-service window. */
  isTemplate: boolean;
  acceptedAt: Date;
}

/** What happens to an accepted message next: status steps (JSON) and when the first is due. */
export interface StatusPlan {
  steps: string;
  dueAt: Date;
}

export interface Network {
  /**
   * Called in the transaction that stores the message, before it is written: decides what
   * happens to it next. A returned plan is stored with the message and carried out when due.
   */
  accept(deps: Deps, tx: Transaction<Database>, msg: AcceptedMessage): Promise<StatusPlan | undefined>;
}
