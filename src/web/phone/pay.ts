// Paying an order on the sandbox phone: "Review and pay" on an India or Singapore order_details
// message opens a confirmation (pay, or make the payment fail); the choice posts here, a
// CSRF-checked form that works without JavaScript, and goes the way POST /sandbox/v1/payments
// goes (messaging/payments/sandbox-payments.ts simulatePayment): the payment is recorded and the
// business's webhook gets Meta's payment status notification. The order's bubble then says "Paid"
// or "Payment failed" (conversation.ts reads the payment). Brazil's orders are paid outside
// WhatsApp: there is nothing to pay here.
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, toApiError } from '../../errors.ts';
import { simulatePayment } from '../../messaging/payments/sandbox-payments.ts';
import { field } from './actions.ts';
import { bubbleOf } from './bubbles.ts';
import { findConversationMessage } from './conversation.ts';
import { phoneUserOf, type PhoneRouteHelpers } from './session.ts';

const OUTCOMES = ['captured', 'failed'] as const;

export function payRoutes(
  app: FastifyInstance,
  deps: Deps,
  helpers: PhoneRouteHelpers,
): void {
  app.post('/sandbox/phone/pay', async (request, reply) => {
    const { s, form } = await helpers.posted(request);
    const { channel, user } = phoneUserOf(s);
    const outcome = field(form, 'outcome', { label: 'The payment', max: 16, required: true });
    if (!(OUTCOMES as readonly string[]).includes(outcome)) throw new ApiError(400, 'The payment must be "captured" (pay) or "failed".');
    const id = field(form, 'message_id', { label: 'The order', max: 256, required: true });
    // Only an order this user got on this channel: another conversation's message is simply not there.
    const m = await findConversationMessage(deps, channel, user.waId, id);
    if (!m) throw new ApiError(404, 'That message is not in this conversation.');
    const order = m.direction === 'outbound' ? bubbleOf(m).order : undefined;
    if (!order) throw new ApiError(400, 'That message is not an order to pay.');
    if (!order.inApp) throw new ApiError(400, 'This order is paid outside WhatsApp (Pix, boleto or payment link): there is nothing to pay here.');
    const result = await simulatePayment(deps, channel, {
      referenceId: order.referenceId,
      status: outcome as (typeof OUTCOMES)[number],
      from: user.waId,
      // Singapore's Stripe takes cards; India's default is UPI (sandbox-payments.ts).
      ...(order.currency === 'SGD' ? { method: 'card' } : {}),
    }).catch((err: unknown) => {
      // The API's errors name its fields (reference_id: …): the phone's user never saw those.
      const e = toApiError(err);
      if (e.status >= 500) throw err;
      throw new ApiError(e.status, e.message.replace(/^[\w.]+: /, ''));
    });
    return helpers.done(request, reply, { status: result.status });
  });
}
