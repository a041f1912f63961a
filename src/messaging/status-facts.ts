// What a status move reads: the message, and what the webhook payload shows of its channel and
// WABA. On PostgreSQL (and for single messages) one join reads both. On SQLite the status rounds
// read only the message rows and take the channel's part from copies kept per database: a busy
// sandbox moves thousands of messages a second over a few hundred channels, and the join cost
// two more index probes per row. A kept copy (KeptRows) is used only while no write to channels,
// waba_accounts or meta_channels has come since it was read, as the kept key principals are.
import { sql, type InferResult } from 'kysely';
import type { Db, Executor } from '../db/index.ts';
import { KeptRows } from '../db/kept-rows.ts';
import { prepared } from '../db/prepared.ts';

const MESSAGE_FACT_COLUMNS = [
  'messages.id',
  'messages.direction',
  'messages.status',
  'messages.channel_id',
  'messages.wa_id',
  'messages.category',
  'messages.created_at',
  'messages.status_plan',
  'messages.status_due_at',
] as const;

/**
 * The WABA id a channel's webhooks name (entry[].id): Meta's for a number on Meta's network (as
 * Meta's own webhooks do), our WABA's external id otherwise. Needs channels joined with
 * waba_accounts and meta_channels (left joins).
 */
export const WABA_EXTERNAL_ID = sql<string | null>`coalesce(meta_channels.waba_id, waba_accounts.external_id)`;

/**
 * Where a channel's inbound messages and statuses go: its own webhook URL, else its WABA's
 * override (Meta's order: the number's alternate callback URL, then the WABA's; POST
 * /subscribed_apps with override_callback_uri). Needs channels joined with waba_accounts (left
 * join). Read as the channel's `webhook_url` by the status facts and the inbound path, so that the
 * kept copies of channel facts (which watch waba_accounts too) carry it without a further query.
 */
export const CHANNEL_WEBHOOK_URL = sql<string | null>`coalesce(channels.webhook_url, waba_accounts.override_callback_uri)`;

const CHANNEL_FACT_COLUMNS = [
  'channels.partner_id',
  CHANNEL_WEBHOOK_URL.as('webhook_url'),
  'channels.hosting_type',
  'channels.phone_number',
  'channels.external_id',
  'channels.waba_account_id',
  WABA_EXTERNAL_ID.as('waba_external_id'),
] as const;

/** messages joined with the channel and its WABA. */
export const withStepFacts = (db: Executor) =>
  db
    .selectFrom('messages')
    .leftJoin('channels', 'channels.id', 'messages.channel_id')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .leftJoin('meta_channels', 'meta_channels.channel_id', 'channels.id')
    .select([...MESSAGE_FACT_COLUMNS, ...CHANNEL_FACT_COLUMNS]);

/** One row of withStepFacts (the channel's and WABA's columns nullable: left joins). */
export type StepFacts = InferResult<ReturnType<typeof withStepFacts>>[number];

/** The message's part of StepFacts alone (a SQLite status round reads this, then adds the channel's). */
export const withMessageFacts = (db: Executor) => db.selectFrom('messages').select(MESSAGE_FACT_COLUMNS);
type MessageFacts = InferResult<ReturnType<typeof withMessageFacts>>[number];
type ChannelFacts = Omit<StepFacts, keyof MessageFacts>;

const stepFactsById = prepared((db, p) => withStepFacts(db).where('messages.id', '=', p<string>(0)));

/** The facts of one message (for a move that did not read them with its batch). */
export async function stepFacts(tx: Executor, messageId: string): Promise<StepFacts | undefined> {
  return (await stepFactsById(tx, [messageId])).rows[0] as StepFacts | undefined;
}

const stepFactsByIdLocked = prepared((db, p) => withStepFacts(db).where('messages.id', '=', p<string>(0)).forUpdate(['messages']));

/**
 * The facts of one message for a move made from outside the status rounds (Meta's status
 * notifications), holding its row until the transaction ends. advanceStatus guards its UPDATE with
 * the status read here; on PostgreSQL (READ COMMITTED) two transactions moving the same message at
 * once (Meta's `sent` and `delivered` in two POSTs a few ms apart) would otherwise both read
 * `accepted`, and the second's guard would find `sent` after waiting for the first: it would move
 * nothing and answer 200, losing `delivered` for good. With the row locked, the second reads after
 * the first commits. SQLite runs one write transaction at a time: the plain read is enough.
 */
export async function lockedStepFacts(db: Db, tx: Executor, messageId: string): Promise<StepFacts | undefined> {
  if (db.kind === 'sqlite') return stepFacts(tx, messageId);
  return (await stepFactsByIdLocked(tx, [messageId])).rows[0] as StepFacts | undefined;
}

const channelFactsById = prepared((db, p) =>
  db
    .selectFrom('channels')
    .leftJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
    .leftJoin('meta_channels', 'meta_channels.channel_id', 'channels.id')
    .select(['channels.id', ...CHANNEL_FACT_COLUMNS])
    .where('channels.id', '=', p<string>(0)),
);

const keptChannels = new KeptRows<ChannelFacts>(['channels', 'waba_accounts', 'meta_channels'], { ttlMs: 5_000, max: 10_000 });
const NO_CHANNEL: ChannelFacts = {
  partner_id: null,
  webhook_url: null,
  hosting_type: null,
  phone_number: null,
  external_id: null,
  waba_account_id: null,
  waba_external_id: null,
};

/**
 * Adds each message's channel facts, as withStepFacts would have read them in the same
 * transaction (a message whose channel is gone gets nulls, as the left join gives). Only on a
 * database that tracks changes; the status rounds use it on SQLite only (on PostgreSQL their one join reads the facts with the locked rows).
 */
export async function addChannelFacts(db: Db, tx: Executor, rows: MessageFacts[]): Promise<StepFacts[]> {
  if (!db.changes) throw new Error('addChannelFacts needs a database that tracks changes');
  const out: StepFacts[] = [];
  for (const row of rows) {
    let c = keptChannels.get(db, row.channel_id);
    if (!c) {
      const mark = keptChannels.mark(db);
      const found = (await channelFactsById(tx, [row.channel_id])).rows[0];
      if (found) {
        const { id: _id, ...facts } = found;
        c = facts;
      } else c = NO_CHANNEL;
      keptChannels.set(db, row.channel_id, c, mark);
    }
    // A literal, not a spread of the two: V8 builds a spread of database rows slowly (and in
    // dictionary mode), which showed as 4 % of a busy sandbox's CPU.
    out.push({
      id: row.id,
      direction: row.direction,
      status: row.status,
      channel_id: row.channel_id,
      wa_id: row.wa_id,
      category: row.category,
      created_at: row.created_at,
      status_plan: row.status_plan,
      status_due_at: row.status_due_at,
      partner_id: c.partner_id,
      webhook_url: c.webhook_url,
      hosting_type: c.hosting_type,
      phone_number: c.phone_number,
      external_id: c.external_id,
      waba_account_id: c.waba_account_id,
      waba_external_id: c.waba_external_id,
    });
  }
  return out;
}
