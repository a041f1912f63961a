// Account sharing, step 2 of "Host your own Embedded Signup" (docs.360dialog.com/partner/
// integration/integrated-onboarding/host-your-own-embedded-signup): the partner ran Meta's signup
// itself, the business shared its WABA with the partner's solution, and the partner hands the WABA
// to 360dialog with POST /api/v2/partners/{pid}/account_sharing/numbers
// {solution_id, waba_external_id, waba_business_id? | client_id?, tier?}
// (docs.360dialog.com/partner/partner-api/api-reference/account-sharing: "One of
// waba_business_id or client_id must be specified"; 200 echoes the body with
// message "Success. Please wait, your number is onboarding.").
//
// In openwaba terms:
// - a WABA already on Meta's network here (one of the partner's channels attached to Meta with
//   that waba_id, network/meta/channels.ts) is found, not created: its number is answered;
// - otherwise the WABA is new here: a WABA account with Meta's id as its external_id (and
//   waba_business_id as its business), and one sandbox number in it (openwaba cannot reach a
//   Meta WABA without an access token, which this call does not carry; the operator attaches it
//   later). The client is client_id (the partner's own only), else the partner's client whose WABA
//   has that business id, else a new client named after the business id.
// - a WABA onboarded before (by this partner or another) is a 409: a second call is a duplicate.
// solution_id and tier are echoed and not kept: openwaba has no solutions nor tiers.
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { inTransaction } from '../webhooks/partner-events.ts';
import { sandboxPhoneNumber } from './bootstrap.ts';
import { createChannel } from './channels.ts';
import { createClient, getClient, type Actor, type ClientRow } from './clients.ts';
import { createWabaAccount } from './waba-accounts.ts';

export interface SharedNumberInput {
  solution_id: string;
  waba_external_id: string;
  waba_business_id?: string;
  client_id?: string;
  tier?: 'basic' | 'regular' | 'premium' | '' | null;
}

export const ONBOARDING_MESSAGE = 'Success. Please wait, your number is onboarding.';

export interface SharedNumberResult extends SharedNumberInput {
  client_id: string;
  /** The number's id (Meta's phone_number_id, or the sandbox number's). The reference's response schema names channel_external_id; its description is cut off in our copy, so the meaning is our reading. */
  channel_external_id: string;
  message: string;
}

export async function onboardSharedNumber(deps: Deps, partnerId: string, input: SharedNumberInput, actor: Actor): Promise<SharedNumberResult> {
  if (input.waba_business_id === undefined && input.client_id === undefined) throw badRequest('One of waba_business_id or client_id must be specified');
  const echo = (clientId: string, channelExternalId: string): SharedNumberResult => ({
    ...input,
    client_id: clientId,
    channel_external_id: channelExternalId,
    message: ONBOARDING_MESSAGE,
  });

  // The WABA on Meta's network already (attached by the operator or through openwaba's own Embedded Signup).
  const atMeta = await deps.db.kysely
    .selectFrom('meta_channels')
    .innerJoin('channels', 'channels.id', 'meta_channels.channel_id')
    .select(['channels.partner_id', 'channels.client_id', 'meta_channels.phone_number_id'])
    .where('meta_channels.waba_id', '=', input.waba_external_id)
    .where('channels.terminated_at', 'is', null)
    .orderBy('channels.created_at')
    .execute();
  if (atMeta.length > 0) {
    const own = atMeta.find((r) => r.partner_id === partnerId);
    if (!own) throw duplicate(input.waba_external_id);
    if (input.client_id !== undefined && input.client_id !== own.client_id) {
      await getClient(deps, partnerId, input.client_id); // another partner's or unknown client: 404 first
      throw badRequest(`WABA ${input.waba_external_id} belongs to another client of yours (${own.client_id})`);
    }
    return echo(own.client_id, own.phone_number_id);
  }

  return inTransaction(deps, deps.db.kysely, async (tx) => {
    // Two calls for the same new WABA at once: on PostgreSQL both would find no WABA and create
    // two (waba_accounts.external_id is not unique: Meta's ids may repeat across attachments), so
    // they take turns on the WABA id; SQLite's write transactions already take turns.
    if (deps.db.kind === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`account_sharing:${input.waba_external_id}`}))`.execute(tx);
    const existing = await tx.selectFrom('waba_accounts').select('id').where('external_id', '=', input.waba_external_id).executeTakeFirst();
    if (existing) throw duplicate(input.waba_external_id);
    let client: ClientRow | undefined;
    if (input.client_id !== undefined) {
      // (In tx: on SQLite a read outside the open transaction would wait for it.) Another partner's client is not found.
      client = await tx.selectFrom('clients').selectAll().where('id', '=', input.client_id).where('partner_id', '=', partnerId).executeTakeFirst();
      if (!client) throw notFound(`Client ${input.client_id} not found`);
    } else {
      client = await tx
        .selectFrom('clients')
        .innerJoin('waba_accounts', 'waba_accounts.client_id', 'clients.id')
        .selectAll('clients')
        .where('clients.partner_id', '=', partnerId)
        .where('waba_accounts.fb_business_id', '=', input.waba_business_id!)
        .orderBy('clients.created_at')
        .executeTakeFirst();
      client ??= await createClient(deps, partnerId, { name: `Business ${input.waba_business_id}` }, actor, tx);
    }
    // Shares of different WABAs to one client at once: on PostgreSQL each would count the client's
    // channels before the others' inserts and together pass max_channels; the client row is held
    // for the transaction so that they count one after the other.
    if (deps.db.kind === 'postgres') await tx.selectFrom('clients').select('id').where('id', '=', client.id).forUpdate().execute();
    const used = Number(
      (await tx.selectFrom('channels').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', client.id).where('terminated_at', 'is', null).executeTakeFirstOrThrow()).n,
    );
    if (used >= client.max_channels) {
      throw badRequest(`Client ${client.id} can have ${client.max_channels} number${client.max_channels === 1 ? '' : 's'} and already has ${used} (raise max_channels with PATCH /partners/{partner_id}/clients/{client_id})`);
    }
    const waba = await createWabaAccount(deps, { partnerId, clientId: client.id, name: client.name }, actor, tx);
    const business = input.waba_business_id ?? waba.fb_business_id;
    await tx
      .updateTable('waba_accounts')
      .set({ external_id: input.waba_external_id, fb_business_id: business, obo_business_id: business })
      .where('id', '=', waba.id)
      .execute();
    const channel = await createChannel(deps, { partnerId, clientId: client.id, wabaAccountId: waba.id, phoneNumber: sandboxPhoneNumber(), phoneName: client.name }, actor, tx);
    return echo(client.id, channel.external_id);
  });
}

function duplicate(wabaId: string): ApiError {
  return new ApiError(409, `WABA ${wabaId} is already onboarded`);
}
