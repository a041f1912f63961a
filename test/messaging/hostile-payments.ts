// Hostile-input profiles (hostile-input.test.ts) of the sandbox's payments (payments/routes.ts):
// POST /sandbox/v1/payments, whose valid body pays an order_details message `prepare` sends (its
// parser is the judge of what may be taken; a payment of an order already captured answers 409,
// one of an order never sent 404), and the payment lookup GET
// /payments/{configuration_name}/{reference_id}, its parameters naming no order (404).
import { parsePaymentBody } from '../../src/messaging/payments/sandbox-payments.ts';
import { SANDBOX_USER, validatedBy, type EndpointProfile, type PrepareRequest } from './hostile-endpoints.ts';
import { indiaOrder, linkFixtureConfigurations } from './payments-fixtures.ts';

const REFERENCE = 'hostile-pay-1';

/** A user who wrote, and the order_details message the valid bodies pay. */
async function sendOrder(request: PrepareRequest): Promise<void> {
  const inbound = await request('POST', '/sandbox/v1/inbound', { from: SANDBOX_USER, text: { body: 'I want to order' } });
  if (inbound.status !== 200) throw new Error(`the hostile storm's user writing: ${inbound.status} ${JSON.stringify(inbound.body)}`);
  await linkFixtureConfigurations(request);
  const sent = await request('POST', '/messages', { messaging_product: 'whatsapp', to: SANDBOX_USER, type: 'interactive', interactive: indiaOrder(REFERENCE) });
  if (sent.status !== 200) throw new Error(`the hostile storm's order: ${sent.status} ${JSON.stringify(sent.body)}`);
}

export function paymentEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'POST',
      path: '/sandbox/v1/payments',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { reference_id: REFERENCE, status: 'pending' },
        { reference_id: REFERENCE, status: 'failed', from: SANDBOX_USER, method: 'netbanking', error: { code: 'declined', reason: 'Declined by the bank' } },
      ],
      mayAccept: validatedBy(parsePaymentBody),
      prepare: async (request) => sendOrder(request),
    },
    { method: 'GET', path: '/payments/{configuration_name}/{reference_id}', flavour: 'cloud', body: 'none', params: { configuration_name: 'rzp-live', reference_id: 'hostile-missing' }, queryExpect: 'either' },
  ];
}
