// Orders of the Payments API on the sandbox phone (messaging/validate/types/interactive-payments.ts):
// an order_details message drawn as WhatsApp draws it (its items with quantity and price, subtotal,
// tax, shipping, discount and total, its reference id), with "Review and pay" for India's and
// Singapore's orders; Brazil's orders show how to pay outside WhatsApp instead (Pix code to copy,
// boleto digitable line, payment link: Meta's "Payments API (Brazil only)" has no in-app payment),
// and an order_status message drawn as the order's status update.
// Every text here comes from the business's message: the view model holds plain strings, which the
// template escapes (`<%= %>`) and the live script puts in with textContent.

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as O) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface OrderItemView {
  name: string;
  quantity: number;
  /** The price of one, formatted (the sale price when there is one). */
  price: string;
  /** The price before the sale, when the item is on sale. */
  was?: string;
  /** price × quantity, formatted. */
  total: string;
}

export interface OrderView {
  referenceId: string;
  currency: string;
  items: OrderItemView[];
  /** Subtotal, tax, shipping and discount (those the order has), formatted; a discount as a negative amount. */
  lines: { label: string; amount: string; description?: string }[];
  total: string;
  /** The order's expiration description ("Cancelled if not paid within a day"). */
  expires?: string;
  /** India and Singapore: paid in WhatsApp ("Review and pay"). Brazil: paid outside, as its settings say. */
  inApp: boolean;
  pix?: { code: string; merchantName?: string; key?: string; keyType?: string };
  boleto?: string;
  paymentLink?: string;
}

export interface OrderStatusView {
  referenceId: string;
  status: string;
  label: string;
  description?: string;
  /** The payment's status, when the business tells it (Brazil's order_status may: payment.status). */
  payment?: { status: string; label: string };
}

/** What changes on an order's bubble after it is shown (kept in the bubble's meta: its signature moves, and the script redraws it). */
export interface OrderState {
  /** "Review and pay" is offered: an in-app order, not paid yet, not canceled, and received. */
  payable: boolean;
  /** reason: why a payment in the sandbox failed (its transaction.error.reason), shown under "Payment failed". */
  payment?: { status: string; label: string; reason?: string };
  status?: { status: string; label: string; description?: string };
}

/** Amounts are shown as WhatsApp shows them in the order's market. */
const LOCALE: Record<string, string> = { INR: 'en-IN', SGD: 'en-SG', BRL: 'pt-BR' };
/** Singapore's dollar is "$" in en-SG; WhatsApp (and Singaporeans abroad) write S$. */
const SYMBOL: Record<string, string> = { SGD: 'S$' };

/** An amount `{value, offset}` (value / offset units of the currency), formatted: ₹1,234.50, S$13.08, R$ 10,00. */
export function formatAmount(a: unknown, currency: string, times = 1): string {
  const o = obj(a);
  const value = o.value;
  const offset = o.offset;
  if (typeof value !== 'number' || typeof offset !== 'number' || !Number.isSafeInteger(value) || !Number.isSafeInteger(offset) || offset < 1) return '?';
  const log = Math.log10(offset);
  const digits = Number.isInteger(log) && log <= 6 ? log : 2;
  const n = (value * times) / offset;
  try {
    const parts = new Intl.NumberFormat(LOCALE[currency] ?? 'en', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).formatToParts(n);
    return parts.map((p) => (p.type === 'currency' && SYMBOL[currency] ? SYMBOL[currency] : p.value)).join('');
  } catch {
    // Not a currency code Intl knows (the validation takes INR, SGD and BRL only): plain figures.
    return `${n.toFixed(digits)} ${currency}`;
  }
}

const ORDER_STATUS_LABEL: Record<string, string> = {
  pending: 'Pending',
  processing: 'Processing',
  partially_shipped: 'Partially shipped',
  'partially-shipped': 'Partially shipped',
  shipped: 'Shipped',
  completed: 'Completed',
  canceled: 'Canceled',
  captured: 'Payment received',
  failed: 'Payment failed',
};

export const orderStatusLabel = (s: string): string => ORDER_STATUS_LABEL[s] ?? s.replace(/[_-]/g, ' ');

const PAYMENT_LABEL: Record<string, string> = { captured: 'Paid', failed: 'Payment failed', pending: 'Payment pending', canceled: 'Payment canceled' };

export const paymentLabel = (s: string): string => PAYMENT_LABEL[s] ?? s;

/** The order of an order_details message's action parameters. */
export function orderView(parameters: unknown): OrderView {
  const p = obj(parameters);
  const currency = str(p.currency) ?? '';
  const o = obj(p.order);
  const items: OrderItemView[] = arr(o.items).map((x) => {
    const it = obj(x);
    const quantity = typeof it.quantity === 'number' && Number.isSafeInteger(it.quantity) ? it.quantity : 1;
    const unit = it.sale_amount !== undefined ? it.sale_amount : it.amount;
    return {
      name: typeof it.name === 'string' ? it.name : '',
      quantity,
      price: formatAmount(unit, currency),
      ...(it.sale_amount !== undefined ? { was: formatAmount(it.amount, currency) } : {}),
      total: formatAmount(unit, currency, quantity),
    };
  });
  const lines: OrderView['lines'] = [];
  const line = (key: string, label: string, negative = false) => {
    if (o[key] === undefined) return;
    const a = obj(o[key]);
    const amount = formatAmount(a, currency);
    lines.push({ label, amount: negative ? `−${amount}` : amount, ...(str(a.description) ? { description: str(a.description) } : {}) });
  };
  line('subtotal', 'Subtotal');
  line('tax', 'Tax');
  line('shipping', 'Shipping');
  line('discount', 'Discount', true);
  const view: OrderView = {
    referenceId: str(p.reference_id) ?? '',
    currency,
    items,
    lines,
    total: formatAmount(p.total_amount, currency),
    inApp: currency !== 'BRL',
  };
  const expires = str(obj(o.expiration).description);
  if (expires) view.expires = expires;
  for (const s of arr(p.payment_settings).map(obj)) {
    const setting = obj(s[String(s.type)]);
    if (s.type === 'pix_dynamic_code' && str(setting.code)) {
      view.pix = { code: str(setting.code)!, merchantName: str(setting.merchant_name), key: str(setting.key), keyType: str(setting.key_type) };
    } else if (s.type === 'boleto' && str(setting.digitable_line)) view.boleto = str(setting.digitable_line);
    else if (s.type === 'payment_link' && str(setting.uri)) view.paymentLink = str(setting.uri);
  }
  return view;
}

/** The status update of an order_status message's action parameters. */
export function orderStatusView(parameters: unknown): OrderStatusView {
  const p = obj(parameters);
  const o = obj(p.order);
  const status = str(o.status) ?? '';
  const payment = str(obj(p.payment).status);
  return { referenceId: str(p.reference_id) ?? '', status, label: orderStatusLabel(status), ...(str(o.description) ? { description: str(o.description) } : {}), ...(payment ? { payment: { status: payment, label: paymentLabel(payment) } } : {}) };
}

/** An order's state before anything is known of its payment and status updates. */
export function initialOrderState(order: OrderView, messageStatus: string): OrderState {
  return { payable: order.inApp && messageStatus !== 'failed' };
}

/**
 * An order's state from its payment in the sandbox (payment-states.ts) and the latest order_status
 * the business sent for it (with the payment status it may tell, used when the sandbox has none).
 */
export function orderState(order: OrderView, messageStatus: string, sandboxPayment: { status: string; reason?: string } | undefined, latest: OrderStatusView | undefined): OrderState {
  const state: OrderState = initialOrderState(order, messageStatus);
  const payment = sandboxPayment?.status ?? latest?.payment?.status;
  const reason = sandboxPayment?.status === 'failed' ? sandboxPayment.reason : undefined;
  if (payment) state.payment = { status: payment, label: paymentLabel(payment), ...(reason ? { reason } : {}) };
  if (latest) state.status = { status: latest.status, label: latest.label, ...(latest.description ? { description: latest.description } : {}) };
  if (payment === 'captured' || latest?.status === 'canceled' || latest?.status === 'captured') state.payable = false;
  return state;
}
