// Creates a complete, ready-to-use tenant: partner, hub user, partner API key, client,
// sandbox channel (with its WABA account) and that channel's API key.
import type { Deps } from '../deps.ts';
import { newPassword } from '../crypto.ts';
import { base62, digits } from '../ids.ts';
import { createChannelApiKey } from './channel-api-keys.ts';
import { createChannel } from './channels.ts';
import { createClient } from './clients.ts';
import { createPartnerApiKey } from './partner-api-keys.ts';
import { createPartnerWithHubUser } from './partners.ts';

export interface BootstrapResult {
  partner_id: string;
  username: string;
  password: string;
  partner_api_key: string;
  client_id: string;
  channel_id: string;
  channel_api_key: string;
  phone_number: string;
  waba_account_id: string;
}

export interface BootstrapInput {
  brandName?: string;
  username?: string;
  password?: string;
  clientName?: string;
  phoneNumber?: string;
  /**
   * The partner's partner_redirect_url (where Integrated Onboarding ends). Only the demo tenant
   * gets one (the built-in landing page); other tenants start without, as a new partner does.
   */
  partnerRedirectUrl?: string;
}

/** A sandbox number: German-looking (49), 12 digits, random. */
export function sandboxPhoneNumber(): string {
  return `4915${digits(8)}`;
}

export async function bootstrapTenant(deps: Deps, input: BootstrapInput = {}): Promise<BootstrapResult> {
  const suffix = base62(6).toLowerCase();
  const username = input.username ?? `partner-${suffix}@openwaba.local`;
  const password = input.password ?? newPassword();
  const phoneNumber = input.phoneNumber ?? sandboxPhoneNumber();

  const ids = await deps.db.kysely.transaction().execute(async (tx) => {
    const { partner } = await createPartnerWithHubUser(deps, { partner: { brand_name: input.brandName ?? `Partner ${suffix}`, country: 'DE', partner_redirect_url: input.partnerRedirectUrl ?? null }, username, password }, tx);
    const client = await createClient(deps, partner.id, { name: input.clientName ?? `Client ${suffix}`, email: `client-${suffix}@openwaba.local` }, undefined, tx);
    const channel = await createChannel(
      deps,
      { partnerId: partner.id, clientId: client.id, phoneNumber, phoneName: input.clientName ?? `Sandbox ${suffix}`, network: 'sandbox' },
      undefined,
      tx,
    );
    const partnerKey = await createPartnerApiKey(deps, partner.id, 'bootstrap', tx);
    const channelKey = await createChannelApiKey(deps, channel, tx);
    return { partner, client, channel, partnerKey, channelKey };
  });
  const { partnerKey, channelKey } = ids;
  return {
    partner_id: ids.partner.id,
    username,
    password,
    partner_api_key: partnerKey.api_key,
    client_id: ids.client.id,
    channel_id: ids.channel.id,
    channel_api_key: channelKey.api_key,
    phone_number: phoneNumber,
    waba_account_id: ids.channel.waba_account_id,
  };
}
