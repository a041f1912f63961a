// The WhatsApp Payments API's interactive types: order_details (a bill the user can pay: India's
// payment gateways (Razorpay, PayU, BillDesk, Zaakpay) by a payment configuration name or UPI
// intent, Singapore's Stripe, Brazil's Pix, boleto and payment links) and order_status (the
// business tells the user what became of the order). Field names and limits follow Meta's
// Payments API pages as 360dialog republishes them ("Receive WhatsApp Payments via Payments
// Gateway", "Payments (Singapore only)", "Payments API (Brazil only)" and Meta's payments-br
// Orders API). Where those pages say nothing about a rule, the value is taken, and the comment
// at that place says so.
//
// What depends on the WABA's state or on the time of sending is not checked here but when the
// message is sent (payments/send-check.ts, from orderSendChecks below): the payment configuration
// an INR order names (payment_gateway.configuration_name, or payment_configuration for UPI
// intent), looked up among the WABA's payment configurations, and expiration.timestamp, which
// Meta wants "at least 300 seconds from when the send message request is sent".
import { arr, badValue, fail, httpUrl, isObj, obj, oneOf, onlyKeys, optStr, str, type Obj } from '../check.ts';
import { actionName } from './interactive-links.ts';

export const ORDER_CURRENCIES = ['INR', 'SGD', 'BRL'] as const;
export type OrderCurrency = (typeof ORDER_CURRENCIES)[number];
/** "reference_id … can only contain English letters, numbers, underscores, dashes, or dots, and should not exceed 35 characters." */
export const REFERENCE_ID_MAX = 35;
const REFERENCE_ID = /^[A-Za-z0-9_.-]+$/;
/** "name: The item's name to be displayed to the user. Cannot exceed 60 characters." */
export const ORDER_ITEM_NAME_MAX = 60;
/** The description of tax, shipping and discount: 60 characters. */
export const AMOUNT_DESCRIPTION_MAX = 60;
/** An order's expiration description and an order_status description: 120 characters. */
export const ORDER_DESCRIPTION_MAX = 120;
/** Every amount of an order is in the currency's hundredths: "offset … must be 100" (INR, BRL; SGD has cents too). */
const OFFSET: Record<OrderCurrency, number> = { INR: 100, SGD: 100, BRL: 100 };
/** India's payment gateways; Singapore's is Stripe. */
const INDIA_GATEWAYS = ['razorpay', 'payu', 'billdesk', 'zaakpay'] as const;
const GATEWAYS = [...INDIA_GATEWAYS, 'stripe'] as const;
/** Pix key types of Brazil's central bank (Meta's pix_dynamic_code.key_type). */
const PIX_KEY_TYPES = ['CPF', 'CNPJ', 'EMAIL', 'PHONE', 'EVP'] as const;
const SETTING_TYPES = ['payment_gateway', 'payment_link', 'pix_dynamic_code', 'boleto'] as const;
/**
 * Order statuses an order_status message sets. Meta's page names processing, partially-shipped,
 * shipped, completed and canceled (and pending); 360dialog's elements table adds captured and
 * failed (the payment's outcome). Both spellings of partially shipped are taken: the pages use
 * each.
 */
export const ORDER_STATUSES = ['pending', 'processing', 'partially_shipped', 'partially-shipped', 'shipped', 'completed', 'canceled', 'captured', 'failed'] as const;

/** Meta: expiration.timestamp "Minimum threshold is 300 seconds" ahead of the send. */
export const MIN_EXPIRATION_LEAD_SECONDS = 300;
/**
 * The importer fields of India's legal metrology, with the limits of Meta's checkout button
 * template page (payments-in, "Post body parameters"), which documents the same order object:
 * importer_name 200, address lines 100, city 120, country_of_origin 100 characters, a two-letter
 * zone_code and a 6-digit postal_code. The interactive order_details page names the fields
 * without limits; the template page's are taken for both.
 */
export const IMPORTER_NAME_MAX = 200;
export const IMPORTER_ADDRESS_LINE_MAX = 100;
export const IMPORTER_CITY_MAX = 120;
export const COUNTRY_OF_ORIGIN_MAX = 100;

export interface Amount {
  value: number;
  offset: number;
}

/** A reference_id: up to 35 English letters, digits, underscores, dashes or dots. */
export function referenceId(v: unknown, f: string): string {
  const s = str(v, f, { max: REFERENCE_ID_MAX });
  if (!REFERENCE_ID.test(s)) throw fail(f, 'may contain only English letters, digits, underscores, dashes and dots');
  return s;
}

function wholeNumber(v: unknown, f: string, min: number): number {
  if (v === undefined || v === null) throw fail(f, 'is required');
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw fail(f, 'must be a whole number (an amount is value / offset: 12.50 is {"value":1250,"offset":100})');
  if (v < min) throw fail(f, `must be at least ${min}`);
  return v;
}

/** `{value, offset}` (with `description` and more where `extra` names them); its offset the currency's. */
function amount(v: unknown, f: string, currency: OrderCurrency, extra: readonly string[] = []): Amount {
  const o = obj(v, f);
  onlyKeys(o, f, ['value', 'offset', ...extra]);
  const value = wholeNumber(o.value, `${f}.value`, 0);
  const offset = wholeNumber(o.offset, `${f}.offset`, 1);
  if (offset !== OFFSET[currency]) throw fail(`${f}.offset`, `must be ${OFFSET[currency]} for ${currency} (got ${offset})`);
  if (extra.includes('description')) optStr(o.description, `${f}.description`, { max: AMOUNT_DESCRIPTION_MAX });
  if (extra.includes('discount_program_name')) optStr(o.discount_program_name, `${f}.discount_program_name`, { max: AMOUNT_DESCRIPTION_MAX });
  return { value, offset };
}

function importerAddress(v: unknown, f: string): void {
  const o = obj(v, f);
  onlyKeys(o, f, ['address_line1', 'address_line2', 'city', 'zone_code', 'postal_code', 'country_code']);
  str(o.address_line1, `${f}.address_line1`, { max: IMPORTER_ADDRESS_LINE_MAX });
  optStr(o.address_line2, `${f}.address_line2`, { max: IMPORTER_ADDRESS_LINE_MAX });
  str(o.city, `${f}.city`, { max: IMPORTER_CITY_MAX });
  const zone = str(o.zone_code, `${f}.zone_code`, { max: 2 });
  if (!/^[A-Za-z]{2}$/.test(zone)) throw fail(`${f}.zone_code`, 'must be a two-letter zone (state) code such as MH');
  const pin = str(o.postal_code, `${f}.postal_code`, { max: 6 });
  if (!/^\d{6}$/.test(pin)) throw fail(`${f}.postal_code`, 'must be a 6-digit postal index number (PIN) such as 400051');
  const cc = str(o.country_code, `${f}.country_code`, { max: 2 });
  if (!/^[A-Z]{2}$/.test(cc)) throw fail(`${f}.country_code`, 'must be a two-letter ISO 3166 country code such as IN');
}

/** One payment_settings entry; the currency decides which kinds the market has. */
function paymentSetting(v: unknown, f: string, currency: OrderCurrency): void {
  const o = obj(v, f);
  const type = oneOf(o.type, `${f}.type`, SETTING_TYPES);
  onlyKeys(o, f, ['type', type]);
  const s = obj(o[type], `${f}.${type}`);
  const sf = `${f}.${type}`;
  switch (type) {
    case 'payment_gateway': {
      if (currency === 'BRL') throw fail(`${f}.type`, 'payment_gateway is not available for BRL orders (Brazil takes pix_dynamic_code, boleto or payment_link)');
      const gw = oneOf(s.type, `${sf}.type`, GATEWAYS);
      if (currency === 'INR' && gw === 'stripe') throw fail(`${sf}.type`, `must be one of ${INDIA_GATEWAYS.join(', ')} for INR`);
      if (currency === 'SGD' && gw !== 'stripe') throw fail(`${sf}.type`, 'must be stripe for SGD');
      // The gateway's own object (razorpay: receipt, notes; payu: udf fields; …) goes to the
      // gateway as it is: its fields are the gateway's, and the pages list them as examples only.
      onlyKeys(s, sf, ['type', 'configuration_name', gw]);
      // Its form here; an INR order's name is looked up among the WABA's configurations when sent (orderSendChecks).
      str(s.configuration_name, `${sf}.configuration_name`, { max: 60 });
      if (s[gw] !== undefined && !isObj(s[gw])) throw fail(`${sf}.${gw}`, 'must be an object');
      return;
    }
    case 'payment_link':
      onlyKeys(s, sf, ['uri']);
      httpUrl(s.uri, `${sf}.uri`);
      return;
    case 'pix_dynamic_code':
      if (currency !== 'BRL') throw fail(`${f}.type`, `pix_dynamic_code is available for BRL orders only (got ${currency})`);
      // flow_type: the copy-code or bank-app experience ("Offsite Pix payments"); its values are not checked.
      onlyKeys(s, sf, ['code', 'merchant_name', 'key', 'key_type', 'flow_type']);
      str(s.code, `${sf}.code`, { max: 512 });
      str(s.merchant_name, `${sf}.merchant_name`, { max: 256 });
      str(s.key, `${sf}.key`, { max: 256 });
      oneOf(s.key_type, `${sf}.key_type`, PIX_KEY_TYPES);
      optStr(s.flow_type, `${sf}.flow_type`, { max: 64 });
      return;
    case 'boleto':
      if (currency !== 'BRL') throw fail(`${f}.type`, `boleto is available for BRL orders only (got ${currency})`);
      onlyKeys(s, sf, ['digitable_line']);
      str(s.digitable_line, `${sf}.digitable_line`, { max: 64 });
      return;
  }
}

/**
 * The order of an order_details message, its arithmetic checked; returns what its amounts add up to.
 * Sums are BigInt: amounts are whole numbers up to 2^53 each, and their products and sums may not be.
 */
function order(v: unknown, f: string, currency: OrderCurrency, goods: string): bigint {
  const o = obj(v, f);
  onlyKeys(o, f, ['status', 'catalog_id', 'expiration', 'items', 'subtotal', 'tax', 'shipping', 'discount']);
  const status = str(o.status, `${f}.status`);
  if (status !== 'pending') throw fail(`${f}.status`, `must be "pending" in an order_details message (got "${status.slice(0, 30)}")`);
  const catalogId = optStr(o.catalog_id, `${f}.catalog_id`, { max: 256 });
  if (o.expiration !== undefined) {
    const e = obj(o.expiration, `${f}.expiration`);
    onlyKeys(e, `${f}.expiration`, ['timestamp', 'description']);
    // Epoch seconds, as a string (Meta's examples) or a number. Meta also wants it at least 300
    // seconds ahead: that depends on when the message is sent (orderSendChecks, payments/send-check.ts).
    const ts = typeof e.timestamp === 'number' ? String(e.timestamp) : str(e.timestamp, `${f}.expiration.timestamp`, { max: 16 });
    if (!/^\d{1,12}$/.test(ts)) throw fail(`${f}.expiration.timestamp`, 'must be a UTC timestamp in seconds');
    optStr(e.description, `${f}.expiration.description`, { max: ORDER_DESCRIPTION_MAX });
  }
  // The pages name no maximum number of items: none is checked.
  const items = arr(o.items, `${f}.items`, { min: 1 });
  // India's legal metrology fields: "Required if catalog_id is not present" (physical goods).
  const needsOrigin = currency === 'INR' && goods === 'physical-goods' && catalogId === undefined;
  let sum = 0n;
  items.forEach((it, i) => {
    const itf = `${f}.items[${i}]`;
    const item = obj(it, itf);
    onlyKeys(item, itf, ['retailer_id', 'name', 'amount', 'sale_amount', 'quantity', 'country_of_origin', 'importer_name', 'importer_address']);
    str(item.retailer_id, `${itf}.retailer_id`, { max: 256 });
    str(item.name, `${itf}.name`, { max: ORDER_ITEM_NAME_MAX });
    const price = amount(item.amount, `${itf}.amount`, currency);
    const sale = item.sale_amount === undefined ? undefined : amount(item.sale_amount, `${itf}.sale_amount`, currency);
    // "The discounted price per item. This should be less than the original amount."
    if (sale && sale.value >= price.value) throw badValue(`${itf}.sale_amount.value`, `must be less than amount.value (${price.value})`);
    const quantity = wholeNumber(item.quantity, `${itf}.quantity`, 1);
    for (const [k, max] of [['country_of_origin', COUNTRY_OF_ORIGIN_MAX], ['importer_name', IMPORTER_NAME_MAX]] as const) {
      if (item[k] === undefined && needsOrigin) throw fail(`${itf}.${k}`, 'is required for physical goods when the order names no catalog_id');
      optStr(item[k], `${itf}.${k}`, { max });
    }
    if (item.importer_address === undefined && needsOrigin) throw fail(`${itf}.importer_address`, 'is required for physical goods when the order names no catalog_id');
    if (item.importer_address !== undefined) importerAddress(item.importer_address, `${itf}.importer_address`);
    // "If included, this field [sale_amount] is used to calculate the subtotal amount."
    sum += BigInt((sale ?? price).value) * BigInt(quantity);
  });
  const subtotal = amount(o.subtotal, `${f}.subtotal`, currency);
  if (BigInt(subtotal.value) !== sum) throw badValue(`${f}.subtotal.value`, `must be the sum of the items' (sale_amount or amount) × quantity: ${sum} (got ${subtotal.value})`);
  // India's and Singapore's orders carry their tax; Brazil's pages show it as optional.
  if (o.tax === undefined && currency !== 'BRL') throw fail(`${f}.tax`, 'is required');
  const tax = o.tax === undefined ? 0 : amount(o.tax, `${f}.tax`, currency, ['description']).value;
  const shipping = o.shipping === undefined ? 0 : amount(o.shipping, `${f}.shipping`, currency, ['description']).value;
  const discount = o.discount === undefined ? 0 : amount(o.discount, `${f}.discount`, currency, ['description', 'discount_program_name']).value;
  return BigInt(subtotal.value) + BigInt(tax) + BigInt(shipping) - BigInt(discount);
}

/** The action of an order_details message: `{name: "review_and_pay", parameters: {…}}`. */
export function orderDetailsAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  // "review_and_pay" is the one name the pages give an order_details message, in every market
  // (Brazil's orders without a payment method too); review_order is order_status's.
  actionName(a, f, 'review_and_pay');
  const pf = `${f}.parameters`;
  const p = obj(a.parameters, pf);
  onlyKeys(p, pf, ['reference_id', 'type', 'payment_type', 'payment_configuration', 'payment_settings', 'currency', 'total_amount', 'order']);
  referenceId(p.reference_id, `${pf}.reference_id`);
  const goods = oneOf(p.type, `${pf}.type`, ['digital-goods', 'physical-goods'] as const);
  const currency = oneOf(p.currency, `${pf}.currency`, ORDER_CURRENCIES);
  if (p.payment_type !== undefined) {
    const pt = str(p.payment_type, `${pf}.payment_type`, { max: 32 });
    // India's UPI intent names "upi", Brazil's orders "br"; Singapore's pages show no payment_type to check it against.
    const want = currency === 'INR' ? 'upi' : currency === 'BRL' ? 'br' : undefined;
    if (want !== undefined && pt !== want) throw fail(`${pf}.payment_type`, `must be "${want}" for ${currency} orders (got "${pt.slice(0, 30)}")`);
  }
  // UPI intent's payment configuration: its form here, as configuration_name; looked up when sent (orderSendChecks).
  if (p.payment_configuration !== undefined) str(p.payment_configuration, `${pf}.payment_configuration`, { max: 60 });
  if (p.payment_settings !== undefined) arr(p.payment_settings, `${pf}.payment_settings`, { min: 1, max: 4 }).forEach((s, i) => paymentSetting(s, `${pf}.payment_settings[${i}]`, currency));
  // An Indian order is paid through a gateway (payment_settings) or by UPI intent (payment_configuration).
  if (currency === 'INR' && p.payment_settings === undefined && p.payment_configuration === undefined) {
    throw fail(`${pf}.payment_settings`, 'is required for INR orders (a payment_gateway with its configuration_name), unless payment_configuration names a UPI intent configuration');
  }
  const total = amount(p.total_amount, `${pf}.total_amount`, currency);
  if (total.value < 1) throw fail(`${pf}.total_amount.value`, 'must be at least 1');
  // Brazil's orders may leave the order out ("a simplified message with just the total amount and payment settings").
  if (p.order === undefined) {
    if (currency !== 'BRL') throw fail(`${pf}.order`, 'is required');
    return;
  }
  const expected = order(p.order, `${pf}.order`, currency, goods);
  if (BigInt(total.value) !== expected) throw badValue(`${pf}.total_amount.value`, `must be order.subtotal + order.tax + order.shipping - order.discount: ${expected} (got ${total.value})`);
}

/** A payment configuration an INR order names, looked up when the message is sent. */
export interface OrderConfigurationRef {
  name: string;
  /** The field that named it, for the refusal's details. */
  field: string;
  /** The gateway (payment_gateway.type) it must be a configuration of; unset for UPI intent's payment_configuration. */
  gateway?: string;
}

/** What an order_details message's send checks against the WABA and the clock (payments/send-check.ts). */
export interface OrderSendChecks {
  configurations: OrderConfigurationRef[];
  /** expiration.timestamp in epoch seconds, and its field. */
  expiration?: { timestamp: number; field: string };
}

/**
 * The send-time checks of an order_details action orderDetailsAction has accepted, or undefined
 * when it has none. Only INR orders' configurations are looked up: the WABA's payment
 * configurations are Meta's Payments API India (payments-in/onboarding-apis); Singapore's Stripe
 * account is linked in WhatsApp Manager and has no such API, so its name keeps the form check only.
 */
export function orderSendChecks(a: Obj, f: string): OrderSendChecks | undefined {
  const pf = `${f}.parameters`;
  const p = a.parameters as Obj;
  const configurations: OrderConfigurationRef[] = [];
  if (p.currency === 'INR') {
    if (typeof p.payment_configuration === 'string') configurations.push({ name: p.payment_configuration, field: `${pf}.payment_configuration` });
    if (Array.isArray(p.payment_settings)) {
      p.payment_settings.forEach((s, i) => {
        const gw = isObj(s) && s.type === 'payment_gateway' && isObj(s.payment_gateway) ? s.payment_gateway : undefined;
        if (gw && typeof gw.configuration_name === 'string' && typeof gw.type === 'string') {
          configurations.push({ name: gw.configuration_name, field: `${pf}.payment_settings[${i}].payment_gateway.configuration_name`, gateway: gw.type });
        }
      });
    }
  }
  const e = isObj(p.order) && isObj(p.order.expiration) ? p.order.expiration : undefined;
  const expiration = e && e.timestamp !== undefined ? { timestamp: Number(e.timestamp), field: `${pf}.order.expiration.timestamp` } : undefined;
  if (configurations.length === 0 && !expiration) return undefined;
  return expiration ? { configurations, expiration } : { configurations };
}

/** The action of an order_status message: `{name: "review_order", parameters: {reference_id, order: {status, description?}, payment?}}`. */
export function orderStatusAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'review_order');
  const pf = `${f}.parameters`;
  const p = obj(a.parameters, pf);
  onlyKeys(p, pf, ['reference_id', 'order', 'payment']);
  referenceId(p.reference_id, `${pf}.reference_id`);
  const o = obj(p.order, `${pf}.order`);
  onlyKeys(o, `${pf}.order`, ['status', 'description']);
  oneOf(o.status, `${pf}.order.status`, ORDER_STATUSES);
  optStr(o.description, `${pf}.order.description`, { max: ORDER_DESCRIPTION_MAX });
  // Brazil's order_status may tell the payment's state; its fields are not listed beyond its
  // status and time, so only those are checked and any other is taken.
  if (p.payment !== undefined) {
    const pay = obj(p.payment, `${pf}.payment`);
    if (pay.status !== undefined) oneOf(pay.status, `${pf}.payment.status`, ['pending', 'captured', 'failed', 'canceled'] as const);
    if (pay.timestamp !== undefined && !(typeof pay.timestamp === 'number' || typeof pay.timestamp === 'string')) throw fail(`${pf}.payment.timestamp`, 'must be a UTC timestamp in seconds');
  }
}
