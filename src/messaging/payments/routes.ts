// The Payments API's routes beside the order messages (sandbox-payments.ts):
// - POST /sandbox/v1/payments (an openwaba sandbox control): a simulated user pays, or fails to
//   pay, an order_details message the channel sent; the channel's webhook gets Meta's payment
//   status notification.
// - GET /payments/{configuration_name}/{reference_id} (360dialog's path; Meta's Graph path
//   /{phone-number-id}/payments/… reaches it too): the payment lookup API, answered from what
//   the sandbox recorded. A number on Meta's network is not served here (409): its payments are
//   Meta's to answer, and openwaba does not relay this lookup.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { assertSandboxChannel } from '../inbound.ts';
import { metaError } from '../errors.ts';
import { str } from '../validate/check.ts';
import { referenceId } from '../validate/types/interactive-payments.ts';
import { lookupPayment, parsePaymentBody, simulatePayment } from './sandbox-payments.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Amount = Type.Object({ value: Type.Number(), offset: Type.Number() });
const Transaction = Type.Object({
  id: Type.String(),
  pg_transaction_id: Type.String(),
  type: Type.String(),
  status: Type.String(),
  created_timestamp: Type.Number(),
  updated_timestamp: Type.Number(),
  amount: Amount,
  currency: Type.String(),
  method: Type.Object({ type: Type.String() }),
  error: Type.Optional(Type.Object({ code: Type.String(), reason: Type.String() })),
});

export const paymentRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.post(
    '/sandbox/v1/payments',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: 'A simulated user pays an order: {reference_id, status: "captured"|"failed"|"pending", from?, method?, error?: {code, reason}}',
        description:
          'The reference_id must be that of an interactive order_details message this number sent (to `from`, when given), not failed, in INR or SGD ' +
          '(a BRL order is paid outside WhatsApp: 400). The channel webhook gets a statuses item of type "payment" with the payment and its transaction, ' +
          'in the channel\'s format. method: upi (default), card, wallet, netbanking. error: for a failed payment (default {code: "payment_failed", …}). ' +
          'A captured order takes no further payment (409); an unknown reference_id answers 404.',
        body: Type.Unknown(),
        response: {
          200: Type.Object({ reference_id: Type.String(), message_id: Type.String(), wa_id: Type.String(), status: Type.String(), transaction: Transaction }),
        },
      },
    },
    async (request) => {
      assertSandboxChannel(request.channel!);
      return simulatePayment(deps, request.channel!, parsePaymentBody(request.body));
    },
  );

  app.get(
    '/payments/:configuration_name/:reference_id',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Payments'],
        security,
        summary: "Payment lookup: an order's payment and its transactions, by the order's payment configuration name and reference_id",
        description:
          'Answers {payments: [{reference_id, status, currency, amount, transactions}]} for an order_details message this number sent; an order not yet paid is ' +
          'pending with no transaction. The configuration name must be the one the order names (its payment_gateway.configuration_name or payment_configuration); ' +
          'it is not looked up among the WABA\'s payment configurations. Sandbox numbers only.',
        params: Type.Object({ configuration_name: Type.String({ maxLength: 60 }), reference_id: Type.String({ maxLength: 35 }) }),
        response: {
          200: Type.Object({
            payments: Type.Array(Type.Object({ reference_id: Type.String(), status: Type.String(), currency: Type.String(), amount: Amount, transactions: Type.Array(Transaction) })),
          }),
        },
      },
    },
    async (request) => {
      if (request.channel!.network !== 'sandbox') {
        throw metaError(409, 100, 'Not a sandbox channel', "This number is on Meta's Cloud API: its payments are looked up at Meta; openwaba answers the payment lookup for sandbox numbers only.");
      }
      const p = request.params as { configuration_name: string; reference_id: string };
      const name = str(p.configuration_name, 'configuration_name', { max: 60 });
      return lookupPayment(deps, request.channel!, name, referenceId(p.reference_id, 'reference_id'));
    },
  );
};
