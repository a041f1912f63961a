// A simulated user pays an order (an openwaba sandbox control, POST /sandbox/v1/payments), and
// the payment lookup API answers from what the sandbox recorded.
//
// Only an order the channel really sent can be paid: an interactive order_details message among
// the channel's stored outbound messages, with that reference_id (to that user, when the request
// names one) and not failed. The payment is recorded (table sandbox_payments) and the channel's
// webhook gets Meta's payment status notification, a `statuses` item of type "payment":
//
//   {id: <the order's wamid>, recipient_id, type: "payment", status: captured|pending|failed,
//    timestamp, payment: {reference_id, amount {value, offset}, currency,
//    transaction {id, pg_transaction_id, type, status: success|pending|failed, created_timestamp,
//    updated_timestamp, amount, currency, method {type}, error? {code, reason}}, receipt?, notes?}}
//
// in the channel's format: a Cloud number's in Meta's whatsapp_business_account envelope, an
// On-Premise number's as a top-level `statuses` array (the pages show the item only; the
// On-Premise body is the one its message statuses have, which On-Premise clients read).
//
// Where the pages are silent, chosen here (what most clients accept):
// - The transaction's `type` is the order's payment gateway (payment_gateway.type); an order paid
//   by UPI intent (payment_configuration) or by payment link names "upi" or "payment_link".
// - A pending payment keeps one open transaction that a later captured or failed one completes;
//   after a failed one a new attempt opens a new transaction; a captured order takes no further
//   payment (409).
// - Brazil's orders are refused (400): WhatsApp "doesn't support payment reconciliation" there,
//   Meta sends no payment webhook; the business sends an order_status message instead.
// - The lookup answers an order that was sent but not yet paid as pending with no transaction.
// - An INR order naming a payment configuration the user cannot pay through (not one of the
//   WABA's, not Active, or another gateway's: send-check.ts configurationProblem, as the WABA
//   stands when the user pays) was accepted when sent, as Meta accepts it ("the customer will be
//   unable to pay for their order"); every attempt to pay it fails, whatever the request asked:
//   status "failed", transaction.error {code, reason} naming the configuration's problem.
import { sql } from 'kysely';
import type { Deps } from '../../deps.ts';
import type { Executor } from '../../db/index.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { base62 } from '../../ids.ts';
import { transact } from '../../webhooks/outbox.ts';
import { channelIdentity, channelWebhookUrl, emitChannelEvent } from '../channel-webhook.ts';
import { metaError } from '../errors.ts';
import { fail, isObj, obj, oneOf, onlyKeys, recipient, str, type Obj } from '../validate/check.ts';
import { orderSendChecks, referenceId as checkReferenceId, type OrderConfigurationRef } from '../validate/types/interactive-payments.ts';
import { configurationProblem } from './send-check.ts';
import { cloudStatusesPayload, type StatusItem } from '../webhook-payloads.ts';

export const PAYMENT_STATUSES = ['captured', 'failed', 'pending'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PAYMENT_METHODS = ['upi', 'card', 'wallet', 'netbanking'] as const;

export interface PaymentAmount {
  value: number;
  offset: number;
}

export interface Transaction {
  id: string;
  pg_transaction_id: string;
  type: string;
  status: 'success' | 'pending' | 'failed';
  created_timestamp: number;
  updated_timestamp: number;
  amount: PaymentAmount;
  currency: string;
  method: { type: string };
  error?: { code: string; reason: string };
}

interface StoredPayment {
  amount: PaymentAmount;
  currency: string;
  configuration_name: string | null;
  transactions: Transaction[];
}

/** An order_details message the channel sent: what a payment needs of it. */
export interface SentOrder {
  messageId: string;
  waId: string;
  status: string;
  referenceId: string;
  currency: string;
  amount: PaymentAmount;
  /** The payment configuration the order names (payment_gateway.configuration_name, or payment_configuration), if any. */
  configurationName: string | null;
  /** The INR order's payment configurations (send-check.ts), looked up when the user pays. */
  configurations: OrderConfigurationRef[];
  /** What the transaction's `type` says: the gateway, "upi" or "payment_link". */
  transactionType: string;
  /** The gateway object's receipt and notes (Razorpay's), echoed in the webhook as Meta does. */
  receipt?: string;
  notes?: Obj;
}

const notFound = (details: string) => metaError(404, 100, 'Invalid parameter', details);

/** LIKE's wildcards (reference ids may hold `_`), escaped with `\`. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function orderOf(m: { id: string; wa_id: string; status: string; content: string }, referenceId: string): SentOrder | undefined {
  let c: unknown;
  try {
    c = JSON.parse(m.content);
  } catch {
    return undefined;
  }
  const i = isObj(c) && isObj(c.interactive) ? c.interactive : undefined;
  if (!i || i.type !== 'order_details' || !isObj(i.action) || !isObj(i.action.parameters)) return undefined;
  const p = i.action.parameters;
  if (p.reference_id !== referenceId || !isObj(p.total_amount)) return undefined;
  const settings = Array.isArray(p.payment_settings) ? p.payment_settings.filter(isObj) : [];
  const gw = settings.map((s) => s.payment_gateway).find(isObj);
  const gwType = typeof gw?.type === 'string' ? gw.type : undefined;
  const gwObj = gwType && isObj(gw?.[gwType]) ? (gw[gwType] as Obj) : undefined;
  const configurationName = typeof gw?.configuration_name === 'string' ? gw.configuration_name : typeof p.payment_configuration === 'string' ? p.payment_configuration : null;
  const link = settings.some((s) => s.type === 'payment_link');
  return {
    messageId: m.id,
    waId: m.wa_id,
    status: m.status,
    referenceId,
    currency: String(p.currency),
    amount: { value: Number(p.total_amount.value), offset: Number(p.total_amount.offset) },
    configurationName,
    configurations: orderSendChecks(i.action, 'interactive.action')?.configurations ?? [],
    transactionType: gwType ?? (typeof p.payment_configuration === 'string' ? 'upi' : link ? 'payment_link' : 'upi'),
    ...(typeof gwObj?.receipt === 'string' ? { receipt: gwObj.receipt } : {}),
    ...(isObj(gwObj?.notes) ? { notes: gwObj.notes } : {}),
  };
}

/**
 * The latest order_details message with this reference_id the channel sent (to waId, if given),
 * or undefined. Candidates are narrowed in SQL by the reference_id's JSON text, then checked parsed.
 */
export async function findSentOrder(db: Executor, channelId: string, referenceId: string, waId?: string): Promise<SentOrder | undefined> {
  const fragment = `%"reference_id":${likeEscape(JSON.stringify(referenceId))}%`;
  let q = db
    .selectFrom('messages')
    .select(['id', 'wa_id', 'status', 'content'])
    .where('channel_id', '=', channelId)
    .where('direction', '=', 'outbound')
    .where('type', '=', 'interactive')
    .where(sql<boolean>`content like ${fragment} escape '\\'`);
  if (waId !== undefined) q = q.where('wa_id', '=', waId);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(50).execute();
  for (const r of rows) {
    const o = orderOf(r, referenceId);
    if (o) return o;
  }
  return undefined;
}

export interface PaymentInput {
  referenceId: string;
  status: PaymentStatus;
  /** The user who pays; left out, whoever the order was sent to. */
  from?: string;
  method?: string;
  error?: { code: string; reason: string };
}

export interface PaymentResult {
  reference_id: string;
  message_id: string;
  wa_id: string;
  status: PaymentStatus;
  transaction: Transaction;
}

/** The body of POST /sandbox/v1/payments: `{reference_id, status, from?, method?, error?}`, checked. */
export function parsePaymentBody(b: unknown): PaymentInput {
  if (!isObj(b)) throw fail('body', 'must be a JSON object such as {"reference_id":"order-1","status":"captured"}');
  onlyKeys(b, 'body', ['reference_id', 'status', 'from', 'method', 'error']);
  const referenceId = checkReferenceId(b.reference_id, 'reference_id');
  const status = oneOf(b.status, 'status', PAYMENT_STATUSES);
  const from = b.from === undefined ? undefined : recipient(b.from, 'from');
  const method = b.method === undefined ? undefined : oneOf(b.method, 'method', PAYMENT_METHODS);
  let error: PaymentInput['error'];
  if (b.error !== undefined) {
    if (status !== 'failed') throw fail('error', 'is given only with status "failed"');
    const e = obj(b.error, 'error');
    onlyKeys(e, 'error', ['code', 'reason']);
    error = { code: str(e.code, 'error.code', { max: 64 }), reason: str(e.reason, 'error.reason', { max: 256 }) };
  }
  return { referenceId, status, from, method, error };
}

/** The payment item of the webhook and of the lookup. */
function shownPayment(referenceId: string, status: string, p: StoredPayment) {
  return { reference_id: referenceId, status, currency: p.currency, amount: p.amount, transactions: p.transactions };
}

/** A simulated user pays (or fails to pay) an order the channel sent: recorded, and the webhook written in the same transaction. */
export async function simulatePayment(deps: Deps, channel: ChannelRow, input: PaymentInput): Promise<PaymentResult> {
  const order = await findSentOrder(deps.db.kysely, channel.id, input.referenceId, input.from);
  if (!order) {
    throw notFound(
      `reference_id: no order_details message with reference_id "${input.referenceId}" was sent by this number${input.from !== undefined ? ` to ${input.from}` : ''} (send one with POST /messages first)`,
    );
  }
  if (order.status === 'failed') throw fail('reference_id', `the order_details message ${order.messageId} failed: the user never received the order`);
  if (order.currency === 'BRL') {
    throw fail('reference_id', "this is a BRL order: in Brazil the user pays outside WhatsApp (Pix, boleto, payment link) and Meta sends no payment webhook; tell the user with an order_status message");
  }
  // A configuration the user cannot pay through fails the payment, whatever was asked (Meta's failed payment).
  const problem = await configurationProblem(deps.db.kysely, channel.waba_account_id, order.configurations);
  const status: PaymentStatus = problem ? 'failed' : input.status;
  const error = problem ? { code: problem.code, reason: problem.reason } : input.error;
  const now = deps.clock.now();
  const iso = now.toISOString();
  const secs = Math.floor(now.getTime() / 1000);
  return transact(deps, async (tx) => {
    // The order's row, made first if it is the first payment, then read locked (PostgreSQL; SQLite
    // writes one at a time): of two payments at once, the second sees the first's transaction.
    const fresh: StoredPayment = { amount: order.amount, currency: order.currency, configuration_name: order.configurationName, transactions: [] };
    await tx
      .insertInto('sandbox_payments')
      .values({ channel_id: channel.id, reference_id: input.referenceId, message_id: order.messageId, wa_id: order.waId, status: 'pending', payment: JSON.stringify(fresh), created_at: iso, modified_at: iso })
      .onConflict((oc) => oc.columns(['channel_id', 'reference_id']).doNothing())
      .execute();
    let q = tx.selectFrom('sandbox_payments').selectAll().where('channel_id', '=', channel.id).where('reference_id', '=', input.referenceId);
    if (deps.db.kind === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirstOrThrow();
    // The latest order of the reference decides what is paid (an order sent again after a failed payment may differ).
    const stored: StoredPayment = { ...(JSON.parse(row.payment) as StoredPayment), amount: order.amount, currency: order.currency, configuration_name: order.configurationName };
    if (row.status === 'captured') throw metaError(409, 100, 'Invalid parameter', `reference_id: the order "${input.referenceId}" is paid already (captured); it takes no further payment`);
    const txStatus = status === 'captured' ? 'success' : status;
    const open = stored.transactions.at(-1)?.status === 'pending' ? stored.transactions.at(-1) : undefined;
    const transaction: Transaction = {
      id: open?.id ?? base62(14),
      pg_transaction_id: open?.pg_transaction_id ?? `pay_${base62(14)}`,
      type: order.transactionType,
      status: txStatus,
      created_timestamp: open?.created_timestamp ?? secs,
      updated_timestamp: secs,
      amount: order.amount,
      currency: order.currency,
      method: { type: input.method ?? open?.method.type ?? 'upi' },
      ...(status === 'failed' ? { error: error ?? { code: 'payment_failed', reason: 'The payment was declined' } } : {}),
    };
    if (open) stored.transactions[stored.transactions.length - 1] = transaction;
    else stored.transactions.push(transaction);
    await tx
      .updateTable('sandbox_payments')
      .set({ message_id: order.messageId, wa_id: order.waId, status, payment: JSON.stringify(stored), modified_at: iso })
      .where('channel_id', '=', channel.id)
      .where('reference_id', '=', input.referenceId)
      .execute();
    const url = await channelWebhookUrl(tx, channel.id);
    if (url) {
      const item = {
        id: order.messageId,
        recipient_id: order.waId,
        type: 'payment',
        status,
        timestamp: String(secs),
        payment: {
          reference_id: input.referenceId,
          amount: order.amount,
          currency: order.currency,
          transaction,
          ...(order.receipt !== undefined ? { receipt: order.receipt } : {}),
          ...(order.notes !== undefined ? { notes: order.notes } : {}),
        },
      };
      const who = await channelIdentity(deps, channel, tx);
      const body = channel.hosting_type === 'onpremise' ? { statuses: [item] } : cloudStatusesPayload(who, [item as unknown as StatusItem], []);
      await emitChannelEvent(deps, tx, { ...channel, webhook_url: url }, 'status', body);
    }
    return { reference_id: input.referenceId, message_id: order.messageId, wa_id: order.waId, status, transaction };
  });
}

/**
 * The payment lookup: `{payments: [{reference_id, status, currency, amount, transactions}]}` for an
 * order the channel sent whose payment configuration is `configurationName` (an order naming no
 * configuration, a payment link's, answers under any name). The name is compared with the order's
 * own only: it is not looked up among the WABA's payment configurations.
 */
export async function lookupPayment(deps: Deps, channel: ChannelRow, configurationName: string, referenceId: string) {
  const row = await deps.db.kysely.selectFrom('sandbox_payments').selectAll().where('channel_id', '=', channel.id).where('reference_id', '=', referenceId).executeTakeFirst();
  const stored = row ? (JSON.parse(row.payment) as StoredPayment) : undefined;
  const order = stored ? undefined : await findSentOrder(deps.db.kysely, channel.id, referenceId);
  const config = stored ? stored.configuration_name : order?.configurationName;
  if ((!stored && !order) || (config !== null && config !== undefined && config !== configurationName)) {
    throw notFound(`reference_id: no order with reference_id "${referenceId}" and payment configuration "${configurationName}" was sent by this number`);
  }
  const payment = stored ?? { amount: order!.amount, currency: order!.currency, configuration_name: order!.configurationName, transactions: [] };
  return { payments: [shownPayment(referenceId, row?.status ?? 'pending', payment)] };
}
