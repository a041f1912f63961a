// The end of Integrated Onboarding: in one transaction the client is created (client_created)
// when new, the channel is created (channel_created) and submitted at once (channel_submitted),
// and a durable job is queued that makes it ready (channel_ready) after the setup delay. A number
// connected with Embedded Signup is created on Meta's network instead, and ready at once (below).
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { enqueueJob, registerJobHandler } from '../../jobs/scheduler.ts';
import { createChannel, numberInUse, type ChannelRow } from '../../services/channels.ts';
import { ONBOARDING_SETUP_JOB, setChannelStatus } from '../../services/channel-lifecycle.ts';
import { createClient, type Actor, type ClientRow } from '../../services/clients.ts';
import type { PartnerRow } from '../../services/partners.ts';
import { transact } from '../../webhooks/outbox.ts';
import { attachMetaChannel, type MetaCredentialsInput, type MetaNumberFacts } from '../../network/meta/channels.ts';
import { metaNumberHolder, storePin } from '../../network/meta/embedded-signup.ts';
import type { OnboardingParams, Plan } from './state.ts';
import type { OnboardingUser } from './users.ts';

export const SETUP_JOB = ONBOARDING_SETUP_JOB;


/** The setup delay has passed: a channel still submitted becomes ready (a changed one is left alone). */
registerJobHandler(SETUP_JOB, async (deps, tx, job) => {
  const ch = await tx.selectFrom('channels').selectAll().where('id', '=', job.ref_id).executeTakeFirst();
  if (ch && ch.status === 'submitted' && !ch.terminated_at) await setChannelStatus(deps, ch.id, 'ready', { tx });
  return { done: true };
});

export interface Capacity {
  allowed: boolean;
  /** Why not, for the page and the 403. */
  reason?: string;
  used: number;
}

/**
 * May this client add a number? Its first is always allowed (within max_channels); another
 * only where the partner allows clients to add numbers.
 */
export async function channelCapacity(deps: Deps, partner: PartnerRow, client: ClientRow, tx: Executor = deps.db.kysely): Promise<Capacity> {
  const row = await tx
    .selectFrom('channels')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('client_id', '=', client.id)
    .where('terminated_at', 'is', null)
    .executeTakeFirstOrThrow();
  const used = Number(row.n);
  if (used > 0 && partner.allow_client_to_add_phone_no !== 1) {
    return { allowed: false, used, reason: `${partner.brand_name} does not allow clients to add phone numbers themselves` };
  }
  if (used >= client.max_channels) {
    return { allowed: false, used, reason: `Your account can have ${client.max_channels} number${client.max_channels === 1 ? '' : 's'} and already has ${used}` };
  }
  return { allowed: true, used };
}

export interface CompleteInput {
  partner: PartnerRow;
  user: OnboardingUser;
  phone: { number: string; name: string };
  params: OnboardingParams;
  plan?: Plan;
  /**
   * Embedded Signup: the number is already registered at Meta with these credentials and PIN, and
   * Meta's facts of it are in hand (its phone number is `phone.number`).
   */
  meta?: { credentials: MetaCredentialsInput; facts: MetaNumberFacts; pin: string };
}

/**
 * The refusals of completeOnboarding that need only the database: the client's room for a number
 * (channelCapacity), the phone number among the partner's channels (numberInUse), and a Meta number's
 * phone_number_id attached to any channel (metaNumberHolder). Throws the ApiError the commit would.
 */
async function localRefusals(
  deps: Deps,
  ex: Executor,
  input: { partner: PartnerRow; client: ClientRow | undefined; phone: { number: string }; phoneNumberId?: string },
): Promise<void> {
  const { partner, client, phone } = input;
  // A client not created yet gets its first number (createClient's max_channels is at least 1).
  if (client) {
    const capacity = await channelCapacity(deps, partner, client, ex);
    if (!capacity.allowed) throw new ApiError(403, capacity.reason!);
  }
  if (await numberInUse(deps, partner.id, phone.number, ex)) throw new ApiError(409, `The number +${phone.number} is already connected`);
  if (input.phoneNumberId !== undefined && (await metaNumberHolder(deps, input.phoneNumberId, ex))) {
    throw new ApiError(409, `The number +${phone.number} is already connected`);
  }
}

/**
 * completeOnboarding's local refusals, before it: for a permission step that changes things at Meta
 * before the commit (Embedded Signup subscribes the app and registers the number with its PIN), so
 * that nothing is done at Meta for a number the commit would refuse (max_channels reached from
 * another window, the number connected meanwhile). Reads the user's client afresh. Only a check:
 * the commit's transaction checks all of it again, and a race lost in between is still refused
 * there (after Meta registered the number; see the README's Embedded Signup).
 */
export async function refuseBeforeCommit(
  deps: Deps,
  input: { partner: PartnerRow; user: OnboardingUser; phone: { number: string }; phoneNumberId?: string },
): Promise<void> {
  const { partner, user } = input;
  const fresh = await deps.db.kysely.selectFrom('onboarding_users').select(['client_id']).where('id', '=', user.id).executeTakeFirst();
  if (!fresh) throw new ApiError(409, 'Your account is gone: open the link again');
  const client = fresh.client_id
    ? await deps.db.kysely.selectFrom('clients').selectAll().where('id', '=', fresh.client_id).where('partner_id', '=', partner.id).executeTakeFirst()
    : undefined;
  if (fresh.client_id && !client) throw new ApiError(409, 'Your account is gone: open the link again');
  await localRefusals(deps, deps.db.kysely, { partner, client, phone: input.phone, phoneNumberId: input.phoneNumberId });
}

/** Commits the onboarding; returns the client and the new channel. */
export async function completeOnboarding(deps: Deps, input: CompleteInput): Promise<{ clientId: string; channelId: string }> {
  const { partner, user, phone } = input;
  const actor: Actor = { user_id: user.id, user_name: user.email };
  return transact(deps, async (tx) => {
    const fresh = await tx.selectFrom('onboarding_users').select(['client_id']).where('id', '=', user.id).executeTakeFirstOrThrow();
    let client: ClientRow;
    if (fresh.client_id) {
      let q = tx.selectFrom('clients').selectAll().where('id', '=', fresh.client_id).where('partner_id', '=', partner.id);
      // Two windows adding numbers at once must not both pass the max_channels check.
      if (deps.db.kind === 'postgres') q = q.forUpdate();
      client = await q.executeTakeFirstOrThrow();
    } else {
      client = await createClient(
        deps,
        partner.id,
        { name: user.name, email: user.email, user_name: user.name, partner_payload: input.params.partner ?? null },
        actor,
        tx,
      );
      const linked = await tx
        .updateTable('onboarding_users')
        .set({ client_id: client.id, plan: input.plan ?? null })
        .where('id', '=', user.id)
        .where('client_id', 'is', null)
        .executeTakeFirst();
      if (Number(linked.numUpdatedRows) !== 1) throw new ApiError(409, 'This onboarding was completed in another window; open the link again');
    }
    // Checked again here, in the transaction that commits: another window may have taken the place
    // or the number since any check before it (refuseBeforeCommit).
    await localRefusals(deps, tx, { partner, client, phone, phoneNumberId: input.meta?.credentials.phoneNumberId });
    if (input.meta) return { clientId: client.id, channelId: await createMetaChannel(deps, tx, input.meta, { partner, client, phone, actor }) };
    const ch = await createChannel(
      deps,
      { partnerId: partner.id, clientId: client.id, phoneNumber: phone.number, phoneName: phone.name, status: 'created', network: 'sandbox' },
      actor,
      tx,
    );
    await setChannelStatus(deps, ch.id, 'submitted', { tx });
    await enqueueJob(deps, tx, {
      kind: SETUP_JOB,
      refId: ch.id,
      at: new Date(deps.clock.now().getTime() + deps.config.onboardingSetupDelayMs),
      payload: { channel_id: ch.id },
    });
    return { clientId: client.id, channelId: ch.id };
  });
}

/**
 * The channel of a number connected with Embedded Signup: created on Meta's network with Meta's
 * phone number id as its external id, its credentials sealed (attachMetaChannel, as the operator's
 * attach does), the PIN it was registered with sealed beside them.
 *
 * It is ready at once (channel_submitted then channel_ready, in this transaction), not after the
 * setup job: by now Meta has registered the number for the Cloud API, the app is subscribed to its
 * WABA and the token works, so the number can send; the sandbox's setup delay only imitates a
 * setup that here has really happened. The partner still hears the same events in the same order.
 */
async function createMetaChannel(
  deps: Deps,
  tx: Executor,
  meta: NonNullable<CompleteInput['meta']>,
  ctx: { partner: PartnerRow; client: ClientRow; phone: { number: string; name: string }; actor: Actor },
): Promise<string> {
  const pnid = meta.credentials.phoneNumberId;
  const ch = await createChannel(
    deps,
    { partnerId: ctx.partner.id, clientId: ctx.client.id, phoneNumber: ctx.phone.number, phoneName: ctx.phone.name, status: 'created', network: 'meta', externalId: pnid },
    ctx.actor,
    tx,
  );
  await attachMetaChannel(deps, ch.id, meta.credentials, tx, meta.facts);
  await storePin(deps, tx, ch.id, meta.pin);
  await setChannelStatus(deps, ch.id, 'submitted', { tx });
  await setChannelStatus(deps, ch.id, 'ready', { tx });
  return ch.id;
}

/** The client's channels still granted to the partner (neither withdrawn nor terminated). */
export async function clientChannels(deps: Deps, partnerId: string, clientId: string): Promise<ChannelRow[]> {
  return deps.db.kysely
    .selectFrom('channels')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('client_id', '=', clientId)
    .where('terminated_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
