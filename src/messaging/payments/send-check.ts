// The send-time checks of an order_details message (its form is validate/types/interactive-payments.ts):
//
// - expiration.timestamp: Meta's order object says "UTC timestamp in seconds of time when order
//   should expire. Minimum threshold is 300 seconds", and its checkout button template page
//   "Values must represent a UTC time at least 300 seconds from when the send message request is
//   sent to us". Measured against the app's clock when the send comes in; refused (131009).
// - An INR order's payment configuration (payment_gateway.configuration_name, or UPI intent's
//   payment_configuration) should be one of the WABA's (POST /payment_configuration), Active, and
//   a gateway's of that gateway. Meta does not refuse the send over it: its page says only that
//   "the customer will be unable to pay for their order", and Meta answers such a send 200. So the
//   send is accepted here too, a warning is logged (so a developer sees the mistake early), and the
//   user's payment of that order fails (sandbox-payments.ts, configurationProblem): the payment
//   webhook is a failed one whose error names the configuration's problem.
// Numbers on Meta's network do not reach this: Meta checks its own.
import type { Deps } from '../../deps.ts';
import type { Executor } from '../../db/index.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { badValue } from '../validate/check.ts';
import { MIN_EXPIRATION_LEAD_SECONDS, type OrderConfigurationRef, type OrderSendChecks } from '../validate/types/interactive-payments.ts';
import { UPI_PROVIDER } from './configurations.ts';

const ACTIVE = 'Active';

/** Where the send's configuration warning goes (the request's logger). */
export interface OrderSendLog {
  warn?(obj: object, msg: string): void;
}

/** Why the user could not pay through a configuration the order names: a code and a reason, the shape of a failed payment's transaction.error. */
export interface ConfigurationProblem {
  code: string;
  reason: string;
  /** The configuration's name and the field that named it. */
  configuration: string;
  field: string;
}

/**
 * The first of an order's configurations the user could not pay through, as the WABA stands now,
 * or undefined when every one is one of the WABA's, Active, and of the gateway that names it.
 * The codes are openwaba's (Meta documents none for this): what most clients take is a code they
 * may log and a reason they may show.
 */
export async function configurationProblem(db: Executor, wabaAccountId: string | null, refs: readonly OrderConfigurationRef[]): Promise<ConfigurationProblem | undefined> {
  for (const ref of refs) {
    const row = wabaAccountId
      ? await db
          .selectFrom('waba_payment_configurations')
          .select(['provider_name', 'status'])
          .where('waba_account_id', '=', wabaAccountId)
          .where('configuration_name', '=', ref.name)
          .executeTakeFirst()
      : undefined;
    const name = JSON.stringify(ref.name);
    const at = { configuration: ref.name, field: ref.field };
    if (!row) {
      return { ...at, code: 'payment_configuration_not_found', reason: `No payment configuration named ${name} exists on this WhatsApp Business Account` };
    }
    if (ref.gateway !== undefined && row.provider_name !== ref.gateway) {
      const what = row.provider_name === UPI_PROVIDER ? `a UPI (${UPI_PROVIDER}) configuration` : `a ${row.provider_name} configuration`;
      return { ...at, code: 'payment_configuration_mismatch', reason: `Payment configuration ${name} is ${what}, not ${ref.gateway}` };
    }
    if (row.status !== ACTIVE) {
      return { ...at, code: 'payment_configuration_inactive', reason: `Payment configuration ${name} is ${row.status}, not Active` };
    }
  }
  return undefined;
}

export async function checkOrderSend(
  deps: Pick<Deps, 'db'>,
  channel: Pick<ChannelRow, 'id' | 'waba_account_id'>,
  checks: OrderSendChecks,
  now: Date,
  log?: OrderSendLog,
): Promise<void> {
  if (checks.expiration) {
    const { timestamp, field } = checks.expiration;
    const earliest = Math.floor(now.getTime() / 1000) + MIN_EXPIRATION_LEAD_SECONDS;
    if (timestamp < earliest) {
      throw badValue(field, `must be at least ${MIN_EXPIRATION_LEAD_SECONDS} seconds after the message is sent: ${earliest} or later (got ${timestamp})`);
    }
  }
  if (checks.configurations.length === 0 || !log?.warn) return;
  const problem = await configurationProblem(deps.db.kysely, channel.waba_account_id, checks.configurations);
  if (problem) {
    log.warn(
      { channel_id: channel.id, field: problem.field, configuration_name: problem.configuration, problem: problem.code },
      `order_details sent naming a payment configuration the user cannot pay through: ${problem.reason}; the user's payment will fail`,
    );
  }
}
