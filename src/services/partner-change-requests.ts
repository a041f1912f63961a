// Partner change requests (PCR): a client of one partner — whole, or some of its channels
// ("selective") — asks to move to another partner of this instance; the receiving partner lists
// and approves them (reference §1.3: GET …/selective_partner_change_requests, approve → PCR
// object, PATCH …/settings/partner_change_request {"auto_approve"}). On approval the move
// (partner-change-moves.ts), the PCR's new status and the partner events commit together.
//
// Object fields (reference §1.4 [DOC], exact key names [MISSING]): we name them id, status,
// is_full_migration, client_id, new_client_id, old_partner_id, new_partner_id, channel_ids,
// created_at, modified_at, plus completed_at, auto_approved, failure_reason, created_by and
// approved_by. Statuses: pending (waiting for the receiving partner), completed, failed (the
// client or a channel left the old partner before approval, or a clash of the client's login
// e-mails, partner-change-users.ts), cancelled (the client, or the operator for it, withdrew it
// while pending; 360dialog's Client Hub lets a client withdraw a request, the reference names no
// status for it, so `cancelled` is openwaba's word). The reference also lists
// `created`, which 360dialog uses before the client confirms payment; no such step exists here,
// so a request is pending from the start. 360dialog documents no reject call; a request that the
// receiving partner does not approve stays pending.
import type { Selectable, Transaction } from 'kysely';
import { isoNow, wireTime } from '../clock.ts';
import type { Database, PartnerChangeRequestsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { base62 } from '../ids.ts';
import { listQueries, runList, type ListEnvelope, type ListQueryInput, type ListSpec } from '../partner-api/list-query.ts';
import { emitPartnerEvent, inTransaction } from '../webhooks/partner-events.ts';
import { isUniqueViolation } from '../db/index.ts';
import { SYSTEM_ACTOR, type Actor } from './clients.ts';
import { moveToPartner, MoveRefused } from './partner-change-moves.ts';
import { clientUserClashes, clashReason } from './partner-change-users.ts';

export type PcrRow = Selectable<PartnerChangeRequestsTable>;
export type PcrStatus = 'pending' | 'completed' | 'failed' | 'cancelled';

/** At most this many channels in one selective request (a client's channel limit is far lower). */
export const MAX_PCR_CHANNELS = 1000;

/** Hub ids of PCRs end in `PCR` (reference §0), like `…CL` clients. */
const pcrId = () => base62(10) + 'PCR';

export function pcrToWire(r: PcrRow) {
  return {
    id: r.id,
    status: r.status as PcrStatus,
    is_full_migration: r.is_full_migration === 1,
    client_id: r.client_id,
    new_client_id: r.new_client_id,
    old_partner_id: r.old_partner_id,
    new_partner_id: r.new_partner_id,
    channel_ids: JSON.parse(r.channel_ids) as string[],
    auto_approved: r.auto_approved === 1,
    failure_reason: r.failure_reason,
    created_at: wireTime(r.created_at),
    created_by: JSON.parse(r.created_by) as Actor,
    modified_at: wireTime(r.modified_at),
    completed_at: wireTime(r.completed_at),
    approved_by: r.approved_by ? (JSON.parse(r.approved_by) as Actor) : null,
  };
}
export type PcrWire = ReturnType<typeof pcrToWire>;

const T = 'partner_change_requests';
export const PCR_LIST: ListSpec = {
  // The reference shows the envelope of this list but not the key of its items; named like the
  // other lists (`clients`, `waba_templates`) after what they hold.
  collection: 'partner_change_requests',
  fields: {
    id: { column: `${T}.id`, type: 'string' },
    status: { column: `${T}.status`, type: 'string' },
    client_id: { column: `${T}.client_id`, type: 'string' },
    new_client_id: { column: `${T}.new_client_id`, type: 'string' },
    old_partner_id: { column: `${T}.old_partner_id`, type: 'string' },
    is_full_migration: { column: `${T}.is_full_migration`, type: 'boolean' },
    auto_approved: { column: `${T}.auto_approved`, type: 'boolean' },
    created_at: { column: `${T}.created_at`, type: 'time' },
    modified_at: { column: `${T}.modified_at`, type: 'time' },
    completed_at: { column: `${T}.completed_at`, type: 'time' },
  },
  tieBreaker: `${T}.id`,
  // The docs' example answer shows sort ["-created_at"]: newest first.
  defaultSort: ['-created_at'],
  defaultLimit: 100,
  maxLimit: 1000,
};

/** The receiving partner's requests: the envelope and one page. Another partner's are not there. */
export function pcrListQueries(deps: Deps, partnerId: string, query: ListQueryInput) {
  const base = deps.db.kysely.selectFrom('partner_change_requests').where('partner_change_requests.new_partner_id', '=', partnerId);
  return listQueries(base, query, PCR_LIST, (q) => q.selectAll('partner_change_requests'));
}

export async function listPartnerChangeRequests(deps: Deps, partnerId: string, query: ListQueryInput): Promise<ListEnvelope & { partner_change_requests: PcrWire[] }> {
  const { envelope, rows } = await runList(pcrListQueries(deps, partnerId, query));
  return { ...envelope, partner_change_requests: rows.map(pcrToWire) };
}

/** One request to this (receiving) partner, or 404: another partner's request is "not found". */
export async function getPartnerChangeRequest(deps: Deps, partnerId: string, id: string, ex: Executor = deps.db.kysely): Promise<PcrRow> {
  const r = await ex.selectFrom('partner_change_requests').selectAll().where('id', '=', id).where('new_partner_id', '=', partnerId).executeTakeFirst();
  if (!r) throw notFound(`Partner change request ${id} not found`);
  return r;
}

/** One request by id alone: for the operator (admin API), who acts for the requesting client. */
export async function findPartnerChangeRequest(deps: Deps, id: string): Promise<PcrRow> {
  const r = await deps.db.kysely.selectFrom('partner_change_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound(`Partner change request ${id} not found`);
  return r;
}

// ---- settings -------------------------------------------------------------------------------

export async function getPcrSettings(deps: Deps, partnerId: string, ex: Executor = deps.db.kysely): Promise<{ auto_approve: boolean }> {
  const row = await ex.selectFrom('partner_change_request_settings').select('auto_approve').where('partner_id', '=', partnerId).executeTakeFirst();
  return { auto_approve: row?.auto_approve === 1 };
}

/** Auto-approval applies to requests made from now on; pending ones wait for an approval as before. */
export async function setPcrSettings(deps: Deps, partnerId: string, autoApprove: boolean): Promise<{ auto_approve: boolean }> {
  const now = isoNow(deps.clock);
  const v = autoApprove ? 1 : 0;
  await deps.db.kysely
    .insertInto('partner_change_request_settings')
    .values({ partner_id: partnerId, auto_approve: v, modified_at: now })
    .onConflict((oc) => oc.column('partner_id').doUpdateSet({ auto_approve: v, modified_at: now }))
    .execute();
  return { auto_approve: autoApprove };
}

// ---- the client's request ---------------------------------------------------------------------

export interface NewPartnerChangeRequest {
  clientId: string;
  newPartnerId: string;
  /** Omitted: the whole client (all its channels). Given: those channels only (selective). */
  channelIds?: readonly string[];
}

/**
 * The moving client's request (360dialog: the Client Hub's "Change Partner"; here the operator's
 * admin API acts for the client). Applied at once when the receiving partner has auto-approval on.
 */
export async function requestPartnerChange(deps: Deps, input: NewPartnerChangeRequest, actor: Actor = SYSTEM_ACTOR): Promise<PcrRow> {
  const client = await deps.db.kysely.selectFrom('clients').select(['id', 'partner_id']).where('id', '=', input.clientId).executeTakeFirst();
  if (!client) throw notFound(`Client ${input.clientId} not found`);
  const target = await deps.db.kysely.selectFrom('partners').select('id').where('id', '=', input.newPartnerId).executeTakeFirst();
  if (!target) throw badRequest(`new_partner_id: partner ${input.newPartnerId} not found`);
  if (client.partner_id === input.newPartnerId) throw badRequest(`Client ${client.id} already belongs to partner ${input.newPartnerId}`);

  const channels = await deps.db.kysely.selectFrom('channels').select('id').where('client_id', '=', client.id).where('partner_id', '=', client.partner_id).execute();
  let selected: string[] = channels.map((c) => c.id);
  let isFull = true;
  if (input.channelIds !== undefined) {
    const wanted = [...new Set(input.channelIds)];
    if (wanted.length === 0) throw badRequest('channel_ids must name at least one channel; leave it out to move the whole client');
    if (wanted.length > MAX_PCR_CHANNELS) throw badRequest(`channel_ids may name at most ${MAX_PCR_CHANNELS} channels`);
    const ofClient = new Set(selected);
    const foreign = wanted.filter((id) => !ofClient.has(id));
    if (foreign.length > 0) throw badRequest(`channel_ids: ${foreign.slice(0, 10).join(', ')} ${foreign.length === 1 ? 'is not a channel' : 'are not channels'} of client ${client.id}`);
    // Selecting every channel is moving the whole client.
    isFull = wanted.length === ofClient.size;
    selected = wanted;
  }

  // The client's people must be able to log in under the new partner afterwards: a login e-mail the
  // new partner already has for someone else is refused now, with the reason (and again, as a
  // failure, should one appear before the approval).
  const clashes = await clientUserClashes(deps.db.kysely, client.id, client.partner_id, input.newPartnerId);
  if (clashes.length > 0) throw new ApiError(409, clashReason(clashes, input.newPartnerId));

  return inTransaction(deps, deps.db.kysely, async (tx) => {
    const open = await tx.selectFrom('partner_change_requests').select('id').where('client_id', '=', client.id).where('status', '=', 'pending').executeTakeFirst();
    if (open) throw new ApiError(409, `Client ${client.id} already has a pending partner change request (${open.id})`);
    const now = isoNow(deps.clock);
    const row: PcrRow = {
      id: pcrId(),
      status: 'pending',
      is_full_migration: isFull ? 1 : 0,
      client_id: client.id,
      new_client_id: null,
      old_partner_id: client.partner_id,
      new_partner_id: input.newPartnerId,
      channel_ids: JSON.stringify(selected),
      auto_approved: 0,
      failure_reason: null,
      created_by: JSON.stringify(actor),
      approved_by: null,
      created_at: now,
      modified_at: now,
      completed_at: null,
    };
    await tx.insertInto('partner_change_requests').values(row).execute();
    await emitPartnerEvent(deps, tx, row.new_partner_id, 'partner_change_request_created', pcrToWire(row));
    if (!(await getPcrSettings(deps, row.new_partner_id, tx)).auto_approve) return row;
    return approveInTransaction(deps, tx, row, SYSTEM_ACTOR, true);
  });
}

// ---- the receiving partner's approval ---------------------------------------------------------

/**
 * Approves a pending request of this (receiving) partner: the move, the request's new status and
 * the events commit together. 360dialog starts a background migration; here it is done when the
 * answer comes, so the PCR answered is already completed (or failed, with failure_reason).
 */
export async function approvePartnerChangeRequest(deps: Deps, partnerId: string, id: string, actor: Actor): Promise<PcrRow> {
  try {
    return await inTransaction(deps, deps.db.kysely, async (tx) => {
      const row = await getPartnerChangeRequest(deps, partnerId, id, tx);
      if (row.status !== 'pending') throw new ApiError(409, `Partner change request ${id} is ${row.status}, not pending`);
      return approveInTransaction(deps, tx, row, actor, false);
    });
  } catch (err) {
    // A row the move writes became a duplicate after the move's checks (PostgreSQL: a login e-mail
    // signed up with the new partner at that instant). Nothing moved and the request is still
    // pending: a second approval sees the clash in the checks and records the failure.
    if (isUniqueViolation(err)) throw new ApiError(409, `Partner change request ${id} collided with a change made at the same time; nothing moved, approve it again`);
    throw err;
  }
}

async function approveInTransaction(deps: Deps, tx: Transaction<Database>, row: PcrRow, actor: Actor, auto: boolean): Promise<PcrRow> {
  const now = isoNow(deps.clock);
  // Claim the request first: of two approvals at once, the second waits for this row (PostgreSQL)
  // or this transaction (SQLite), then finds it no longer pending.
  const claimed = await tx
    .updateTable('partner_change_requests')
    .set({ modified_at: now, approved_by: JSON.stringify(actor), auto_approved: auto ? 1 : 0 })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) === 0) throw new ApiError(409, `Partner change request ${row.id} is no longer pending`);

  let done: PcrRow;
  try {
    const moved = await moveToPartner(deps, tx, {
      clientId: row.client_id,
      oldPartnerId: row.old_partner_id,
      newPartnerId: row.new_partner_id,
      isFull: row.is_full_migration === 1,
      channelIds: JSON.parse(row.channel_ids) as string[],
    });
    await tx
      .updateTable('partner_change_requests')
      .set({ status: 'completed', new_client_id: moved.newClientId, channel_ids: JSON.stringify(moved.channelIds), completed_at: now })
      .where('id', '=', row.id)
      .execute();
    done = await tx.selectFrom('partner_change_requests').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    const wire = pcrToWire(done);
    // Both partners learn of it: the old one lost the client (or channels), the new one gained them.
    await emitPartnerEvent(deps, tx, done.old_partner_id, 'partner_change_request_completed', wire);
    await emitPartnerEvent(deps, tx, done.new_partner_id, 'partner_change_request_completed', wire);
  } catch (err) {
    if (!(err instanceof MoveRefused)) throw err;
    // Nothing was written by the refused move (it checks before it writes): record the failure.
    await tx.updateTable('partner_change_requests').set({ status: 'failed', failure_reason: err.message }).where('id', '=', row.id).execute();
    done = await tx.selectFrom('partner_change_requests').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    await emitPartnerEvent(deps, tx, done.new_partner_id, 'partner_change_request_failed', pcrToWire(done));
  }
  return done;
}

// ---- withdrawal --------------------------------------------------------------------------------

/**
 * Withdraws a pending request: `cancelled`, and the receiving partner (which heard of it when it
 * was made) gets partner_change_request_cancelled. With `clientId` (a client user's page) only that
 * client's own request: another's is "not found", as if it did not exist. Without it, the operator's.
 * A request no longer pending is a 409 (a completed move is not undone by withdrawing).
 */
export async function cancelPartnerChangeRequest(deps: Deps, id: string, scope: { clientId?: string }, actor: Actor): Promise<PcrRow> {
  return inTransaction(deps, deps.db.kysely, async (tx) => {
    let q = tx.selectFrom('partner_change_requests').selectAll().where('id', '=', id);
    if (scope.clientId !== undefined) q = q.where('client_id', '=', scope.clientId);
    const row = await q.executeTakeFirst();
    if (!row) throw notFound(`Partner change request ${id} not found`);
    const now = isoNow(deps.clock);
    // Only while still pending: an approval at the same moment either claimed it first (and this
    // finds it no longer pending) or finds it cancelled (approve answers 409).
    const done = await tx
      .updateTable('partner_change_requests')
      .set({ status: 'cancelled', modified_at: now, failure_reason: null, approved_by: null })
      .where('id', '=', row.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 0) throw new ApiError(409, `Partner change request ${id} is ${row.status}, not pending: it can no longer be withdrawn`);
    const cancelled = await tx.selectFrom('partner_change_requests').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
    await emitPartnerEvent(deps, tx, cancelled.new_partner_id, 'partner_change_request_cancelled', { ...pcrToWire(cancelled), cancelled_by: actor });
    return cancelled;
  });
}

// ---- the client's own view ---------------------------------------------------------------------

/**
 * A client's requests, newest first: those it made (client_id) and the one that created it under
 * its new partner (new_client_id, a selective move). Nobody else's. At most `limit`.
 */
export async function clientPartnerChangeRequests(deps: Deps, clientId: string, limit = 20): Promise<PcrRow[]> {
  return deps.db.kysely
    .selectFrom('partner_change_requests')
    .selectAll()
    .where((eb) => eb.or([eb('client_id', '=', clientId), eb('new_client_id', '=', clientId)]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The operator's list (CLI): any partner's, filtered by client, receiving partner or status; newest first. */
export async function operatorPartnerChangeRequests(
  deps: Deps,
  filter: { clientId?: string; newPartnerId?: string; status?: string },
  limit = 100,
): Promise<PcrRow[]> {
  let q = deps.db.kysely.selectFrom('partner_change_requests').selectAll();
  if (filter.clientId !== undefined) {
    const c = filter.clientId;
    q = q.where((eb) => eb.or([eb('client_id', '=', c), eb('new_client_id', '=', c)]));
  }
  if (filter.newPartnerId !== undefined) q = q.where('new_partner_id', '=', filter.newPartnerId);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export const PCR_STATUSES: readonly PcrStatus[] = ['pending', 'completed', 'failed', 'cancelled'];
