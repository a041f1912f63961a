// Order messages of the Payments API for payments-orders.test.ts, payments-sandbox.test.ts and
// the hostile-input profiles: one good message per market, and a deep-copying mutator.

type Any = any;

/** A request with a number's key: hostile-endpoints' PrepareRequest, or fixtureRequest's over a test app. */
export type FixtureRequest = (method: string, path: string, json?: unknown) => Promise<{ status: number; body: any }>;

/** fixtureRequest(t, key): requests to the test app with that number's API key. */
export function fixtureRequest(t: { request(method: string, path: string, opts?: { headers?: Record<string, string>; json?: unknown }): Promise<{ status: number; body: any }> }, apiKey: string): FixtureRequest {
  return (method, path, json) => t.request(method, path, { headers: { 'D360-API-KEY': apiKey }, ...(json === undefined ? {} : { json }) });
}

/**
 * The payment configurations the India fixtures name, Active on the number's WABA, as a client
 * makes them (POST /payment_configuration; the gateway one linked by opening its OAuth link):
 * rzp-live (razorpay, indiaOrder) and upi-config (upi_vpa, upiOrder). An order naming a
 * configuration the WABA does not have is refused when sent (payments/send-check.ts). A name the
 * WABA already has (two numbers of one WABA) is left as it is.
 */
export async function linkFixtureConfigurations(request: FixtureRequest): Promise<void> {
  const create = async (json: Record<string, unknown>) => {
    const res = await request('POST', '/payment_configuration', { purpose_code: '00', merchant_category_code: '5999', ...json });
    if (res.status === 400 && /already exists/.test(JSON.stringify(res.body))) return undefined;
    if (res.status !== 200) throw new Error(`creating payment configuration ${String(json.configuration_name)}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { oauth_url?: string };
  };
  const rzp = await create({ configuration_name: 'rzp-live', provider_name: 'razorpay' });
  if (rzp?.oauth_url) {
    const u = new URL(rzp.oauth_url);
    const opened = await request('GET', u.pathname + u.search);
    if (opened.status >= 400) throw new Error(`opening rzp-live's OAuth link: ${opened.status}`);
  }
  await create({ configuration_name: 'upi-config', provider_name: 'upi_vpa', merchant_vpa: 'chaicorner@okaxis' });
}

/** India, through a payment gateway (Razorpay), a full order: 2 × 150.00 (on sale from 200.00) + 100.00, tax 72.00, shipping 50.00, discount 4.00. */
export function indiaOrder(referenceId = 'order-in-1'): Any {
  return {
    type: 'order_details',
    header: { type: 'image', image: { link: 'https://cdn.example.com/bill.jpg' } },
    body: { text: 'Your order from Chai Corner' },
    footer: { text: 'Thank you!' },
    action: {
      name: 'review_and_pay',
      parameters: {
        reference_id: referenceId,
        type: 'physical-goods',
        currency: 'INR',
        payment_settings: [{ type: 'payment_gateway', payment_gateway: { type: 'razorpay', configuration_name: 'rzp-live', razorpay: { receipt: 'receipt-1', notes: { promo: 'WELCOME' } } } }],
        total_amount: { value: 51800, offset: 100 },
        order: {
          status: 'pending',
          catalog_id: '1234567890',
          expiration: { timestamp: '1900000000', description: 'Cancelled if not paid within a day' },
          items: [
            { retailer_id: 'sku-tea', name: 'Masala tea', amount: { value: 20000, offset: 100 }, sale_amount: { value: 15000, offset: 100 }, quantity: 2 },
            { retailer_id: 'sku-cup', name: 'Cup', amount: { value: 10000, offset: 100 }, quantity: 1 },
          ],
          subtotal: { value: 40000, offset: 100 },
          tax: { value: 7200, offset: 100, description: 'GST' },
          shipping: { value: 5000, offset: 100, description: 'Courier' },
          discount: { value: 400, offset: 100, description: 'Welcome', discount_program_name: 'WELCOME' },
        },
      },
    },
  };
}

/** India by UPI intent (payment_type upi, payment_configuration), digital goods without a catalog. */
export function upiOrder(referenceId = 'order-upi-1'): Any {
  return {
    type: 'order_details',
    body: { text: 'Your e-book' },
    action: {
      name: 'review_and_pay',
      parameters: {
        reference_id: referenceId,
        type: 'digital-goods',
        payment_type: 'upi',
        payment_configuration: 'upi-config',
        currency: 'INR',
        total_amount: { value: 11800, offset: 100 },
        order: { status: 'pending', items: [{ retailer_id: 'ebook', name: 'E-book', amount: { value: 10000, offset: 100 }, quantity: 1 }], subtotal: { value: 10000, offset: 100 }, tax: { value: 1800, offset: 100 } },
      },
    },
  };
}

/** Singapore, through Stripe. */
export function singaporeOrder(referenceId = 'order-sg-1'): Any {
  return {
    type: 'order_details',
    body: { text: 'Your laksa order' },
    action: {
      name: 'review_and_pay',
      parameters: {
        reference_id: referenceId,
        type: 'physical-goods',
        currency: 'SGD',
        payment_settings: [{ type: 'payment_gateway', payment_gateway: { type: 'stripe', configuration_name: 'stripe-sg' } }],
        total_amount: { value: 1308, offset: 100 },
        order: { status: 'pending', items: [{ retailer_id: 'laksa', name: 'Laksa', amount: { value: 600, offset: 100 }, quantity: 2 }], subtotal: { value: 1200, offset: 100 }, tax: { value: 108, offset: 100 } },
      },
    },
  };
}

/** Brazil, Pix, the simplified message (no order). */
export function pixOrder(referenceId = 'order-br-1'): Any {
  return {
    type: 'order_details',
    body: { text: 'Seu pedido' },
    action: {
      name: 'review_and_pay',
      parameters: {
        reference_id: referenceId,
        type: 'digital-goods',
        payment_type: 'br',
        currency: 'BRL',
        total_amount: { value: 1000, offset: 100 },
        payment_settings: [{ type: 'pix_dynamic_code', pix_dynamic_code: { code: '00020101021226700014br.gov.bcb.pix', merchant_name: 'Loja Exemplo', key: '39580525000189', key_type: 'CNPJ' } }],
      },
    },
  };
}

/** Brazil, boleto and a payment link, a full order without tax. */
export function boletoOrder(referenceId = 'order-br-2'): Any {
  return {
    type: 'order_details',
    body: { text: 'Seu pedido' },
    action: {
      name: 'review_and_pay',
      parameters: {
        reference_id: referenceId,
        type: 'physical-goods',
        payment_type: 'br',
        currency: 'BRL',
        total_amount: { value: 2500, offset: 100 },
        payment_settings: [
          { type: 'boleto', boleto: { digitable_line: '03399026944140000002628346101018898510000008848' } },
          { type: 'payment_link', payment_link: { uri: 'https://pay.example.com.br/abc' } },
        ],
        order: { status: 'pending', items: [{ retailer_id: 'camisa', name: 'Camisa', amount: { value: 2000, offset: 100 }, quantity: 1 }], subtotal: { value: 2000, offset: 100 }, shipping: { value: 500, offset: 100 } },
      },
    },
  };
}

export function orderStatus(referenceId = 'order-in-1', status = 'shipped'): Any {
  return { type: 'order_status', body: { text: 'Your order is on its way' }, footer: { text: 'Chai Corner' }, action: { name: 'review_order', parameters: { reference_id: referenceId, order: { status, description: 'Courier: BlueDart' } } } };
}

/** A deep copy of `m` changed by `f` (on the copy's action.parameters, and the whole message as second argument). */
export function changed(m: Any, f: (p: Any, m: Any) => void): Any {
  const c = structuredClone(m);
  f(c.action.parameters, c);
  return c;
}
