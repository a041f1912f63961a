// What approving a partner change request does to the data: the client (a full migration) or a
// new client holding the selected channels (a selective one) passes to the new partner, with the
// WABA accounts, channel API keys, media, templates and flows that belong to them. Runs inside
// the approval's transaction: everything moves, or nothing does.
//
// What 360dialog documents (reference §1.3, docs "Partner change"): a WABA belongs to one partner
// at a time; after the change the account is "migrated to your Partner Hub", and the number keeps
// working. So here the channels' D360 keys stay valid for messaging (they now count as the new
// partner's, and only the new partner's Partner API sees and rotates them), the old partner's
// Partner API loses the client and channels (404 there), and messages already sent stay in the
// old partner's usage (they were its traffic).
import type { Transaction } from 'kysely';
import { isoNow } from '../clock.ts';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { hubId } from '../ids.ts';
import { emitPartnerEvent } from '../webhooks/partner-events.ts';
import { clientToWire, SYSTEM_ACTOR, type ClientRow } from './clients.ts';
import { createWabaAccount } from './waba-accounts.ts';
import { clashReason, clientUserClashes, copyClientUsers, moveClientUsers } from './partner-change-users.ts';

/** A move that can no longer happen (the client or a channel left the old partner since the request). */
export class MoveRefused extends Error {}

export interface MoveRequest {
  clientId: string;
  oldPartnerId: string;
  newPartnerId: string;
  isFull: boolean;
  /** The selected channels (a selective move); ignored for a full migration, which takes all. */
  channelIds: readonly string[];
}

export interface MoveResult {
  newClientId: string;
  channelIds: string[];
  wabaAccountIds: string[];
}

/** Moves the client or its selected channels to the new partner. Checks everything before writing anything. */
export async function moveToPartner(deps: Deps, tx: Transaction<Database>, req: MoveRequest): Promise<MoveResult> {
  const client = await tx.selectFrom('clients').selectAll().where('id', '=', req.clientId).where('partner_id', '=', req.oldPartnerId).executeTakeFirst();
  if (!client) throw new MoveRefused(`Client ${req.clientId} no longer belongs to partner ${req.oldPartnerId}`);
  const partner = await tx.selectFrom('partners').select('id').where('id', '=', req.newPartnerId).executeTakeFirst();
  if (!partner) throw new MoveRefused(`Partner ${req.newPartnerId} no longer exists`);
  // The client's users follow it (partner-change-users.ts): an e-mail the new partner already has is a refusal.
  const clashes = await clientUserClashes(tx, client.id, req.oldPartnerId, req.newPartnerId);
  if (clashes.length > 0) throw new MoveRefused(clashReason(clashes, req.newPartnerId));
  const channels = await tx
    .selectFrom('channels')
    .select(['id', 'waba_account_id'])
    .where('client_id', '=', client.id)
    .where('partner_id', '=', req.oldPartnerId)
    .execute();
  const now = isoNow(deps.clock);
  if (req.isFull) return moveWholeClient(tx, client, req.newPartnerId, channels, now);

  const ofClient = new Set(channels.map((c) => c.id));
  const gone = req.channelIds.filter((id) => !ofClient.has(id));
  if (gone.length > 0) throw new MoveRefused(`Channel ${gone.join(', ')} no longer belongs to client ${client.id}`);
  return moveSelectedChannels(deps, tx, client, req.newPartnerId, channels, new Set(req.channelIds), now);
}

async function moveWholeClient(
  tx: Transaction<Database>,
  client: ClientRow,
  newPartnerId: string,
  channels: { id: string }[],
  now: string,
): Promise<MoveResult> {
  const wabas = await tx.selectFrom('waba_accounts').select('id').where('client_id', '=', client.id).execute();
  const wabaIds = wabas.map((w) => w.id);
  const channelIds = channels.map((c) => c.id);
  await tx.updateTable('clients').set({ partner_id: newPartnerId, modified_at: now }).where('id', '=', client.id).execute();
  await tx.updateTable('waba_accounts').set({ partner_id: newPartnerId, modified_at: now }).where('client_id', '=', client.id).execute();
  await tx.updateTable('channels').set({ partner_id: newPartnerId, modified_at: now }).where('client_id', '=', client.id).execute();
  // The client's users go along: they log in on the new partner's pages from now on.
  await moveClientUsers(tx, client.id, client.partner_id, newPartnerId);
  await moveChannelBelongings(tx, newPartnerId, channelIds);
  await moveWabaBelongings(tx, newPartnerId, wabaIds);
  return { newClientId: client.id, channelIds, wabaAccountIds: wabaIds };
}

async function moveSelectedChannels(
  deps: Deps,
  tx: Transaction<Database>,
  client: ClientRow,
  newPartnerId: string,
  channels: { id: string; waba_account_id: string }[],
  selected: Set<string>,
  now: string,
): Promise<MoveResult> {
  // The moving channels get a client of their own under the new partner: a copy of the old one's
  // business and contact details (the old client keeps its other channels).
  const newClient: ClientRow = {
    ...client,
    id: hubId('client'),
    partner_id: newPartnerId,
    partner_payload: null,
    created_at: now,
    created_by: JSON.stringify(SYSTEM_ACTOR),
    modified_at: now,
    modified_by: JSON.stringify(SYSTEM_ACTOR),
  };
  await tx.insertInto('clients').values(newClient).execute();
  await emitPartnerEvent(deps, tx, newPartnerId, 'client_created', clientToWire(newClient));
  // The old client's users keep it (and its other numbers) and get an account for the new one.
  await copyClientUsers(tx, client.id, client.partner_id, newClient.id, newPartnerId, now);

  // A WABA belongs to one partner at a time. One whose numbers all move goes with them (with its
  // templates and flows); one that keeps numbers behind stays, and the moving numbers get a new
  // WABA account under the new client (as a number migrated to a new WABA: templates stay behind).
  const byWaba = new Map<string, { moving: string[]; staying: number }>();
  for (const ch of channels) {
    const entry = byWaba.get(ch.waba_account_id) ?? { moving: [], staying: 0 };
    if (selected.has(ch.id)) entry.moving.push(ch.id);
    else entry.staying++;
    byWaba.set(ch.waba_account_id, entry);
  }
  const movedWabas: string[] = [];
  const wabaIds: string[] = [];
  const channelIds: string[] = [];
  for (const [wabaId, { moving, staying }] of byWaba) {
    if (moving.length === 0) continue;
    let target = wabaId;
    if (staying === 0) {
      await tx.updateTable('waba_accounts').set({ partner_id: newPartnerId, client_id: newClient.id, modified_at: now }).where('id', '=', wabaId).execute();
      movedWabas.push(wabaId);
    } else {
      const old = await tx.selectFrom('waba_accounts').select('name').where('id', '=', wabaId).executeTakeFirstOrThrow();
      target = (await createWabaAccount(deps, { partnerId: newPartnerId, clientId: newClient.id, name: old.name }, SYSTEM_ACTOR, tx)).id;
    }
    wabaIds.push(target);
    await tx
      .updateTable('channels')
      // A new WABA starts without the old one's restrictions and ban (account_update: they are the WABA's).
      .set({ partner_id: newPartnerId, client_id: newClient.id, waba_account_id: target, modified_at: now, ...(target === wabaId ? {} : { waba_restrictions: null, waba_banned_at: null }) })
      .where('id', 'in', moving)
      .execute();
    channelIds.push(...moving);
  }
  await moveChannelBelongings(tx, newPartnerId, channelIds);
  await moveWabaBelongings(tx, newPartnerId, movedWabas);
  return { newClientId: newClient.id, channelIds, wabaAccountIds: wabaIds };
}

/** At most this many ids in one IN list (far below either database's parameter limit). */
const CHUNK = 500;

async function forChunks(ids: readonly string[], fn: (chunk: string[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += CHUNK) await fn(ids.slice(i, i + CHUNK));
}

/** Rows that name a channel's partner: its D360 keys (still valid), media, flows business key. */
async function moveChannelBelongings(tx: Transaction<Database>, newPartnerId: string, channelIds: readonly string[]): Promise<void> {
  await forChunks(channelIds, async (ids) => {
    await tx.updateTable('channel_api_keys').set({ partner_id: newPartnerId }).where('channel_id', 'in', ids).execute();
    await tx.updateTable('media').set({ partner_id: newPartnerId }).where('channel_id', 'in', ids).execute();
    await tx.updateTable('business_public_keys').set({ partner_id: newPartnerId }).where('channel_id', 'in', ids).execute();
  });
}

/** Rows that name a WABA's partner: its templates, flows and flow preview links. */
async function moveWabaBelongings(tx: Transaction<Database>, newPartnerId: string, wabaIds: readonly string[]): Promise<void> {
  await forChunks(wabaIds, async (ids) => {
    await tx.updateTable('templates').set({ partner_id: newPartnerId }).where('waba_account_id', 'in', ids).execute();
    await tx.updateTable('flows').set({ partner_id: newPartnerId }).where('waba_account_id', 'in', ids).execute();
    await tx.updateTable('flow_previews').set({ partner_id: newPartnerId }).where('waba_account_id', 'in', ids).execute();
  });
}
