// The sandbox's template library: ready-made UTILITY and AUTHENTICATION templates, as Meta's
// Template Library offers them (GET /message_template_library; a template is made from one with
// POST …/message_templates {name, category, language, library_template_name, …}: library-create.ts).
//
// Each entry has the fields of Meta's library list: name, language, category, topic, usecase,
// industry, header?, body, body_params? (sample values of the body's {{n}}), body_param_types?,
// buttons? (type, text, url?, phone_number?, otp_type?) and id. The wording is openwaba's own; the
// names, topics and use cases follow Meta's vocabulary (ORDER_MANAGEMENT, PAYMENTS, …) so that a
// client's filters mean the same thing here. A URL or PHONE_NUMBER button shows a sample target:
// the business gives its own in library_template_button_inputs when it makes the template.
// An authentication entry's body holds the code as {{1}}; its OTP button's kind is the default,
// which button inputs may change (a ONE_TAP one needs the app's package name and signature hash).
import { authTexts } from './auth-text.ts';

export type LibraryCategory = 'UTILITY' | 'AUTHENTICATION';

export interface LibraryButton {
  type: 'URL' | 'PHONE_NUMBER' | 'QUICK_REPLY' | 'OTP';
  text: string;
  url?: string;
  phone_number?: string;
  otp_type?: 'COPY_CODE' | 'ONE_TAP';
}

export interface LibraryTemplate {
  name: string;
  language: string;
  category: LibraryCategory;
  topic: string;
  usecase: string;
  industry: string[];
  header?: string;
  body: string;
  body_params?: string[];
  body_param_types?: string[];
  buttons?: LibraryButton[];
  id: string;
}

const SAMPLE_URL = 'https://www.example.com/{{1}}';
const SAMPLE_PHONE = '+15550100199';
const url = (text: string): LibraryButton => ({ type: 'URL', text, url: SAMPLE_URL });
const phone = (text: string): LibraryButton => ({ type: 'PHONE_NUMBER', text, phone_number: SAMPLE_PHONE });
const reply = (text: string): LibraryButton => ({ type: 'QUICK_REPLY', text });
const otp = (text: string, otp_type: 'COPY_CODE' | 'ONE_TAP' = 'COPY_CODE'): LibraryButton => ({ type: 'OTP', text, otp_type });

type Entry = Omit<LibraryTemplate, 'id'>;

/** An authentication entry: Meta's fixed body and OTP button label in its language (a one-tap button shows the autofill label). */
function authEntry(name: string, language: string, otpType: 'COPY_CODE' | 'ONE_TAP'): Entry {
  const texts = authTexts(language);
  return {
    name, language, category: 'AUTHENTICATION', topic: 'IDENTITY_VERIFICATION', usecase: 'ONE_TIME_PASSWORD', industry: ['E_COMMERCE', 'FINANCIAL_SERVICES'],
    body: texts.body, body_params: ['482913'], body_param_types: ['TEXT'], buttons: [otp(otpType === 'ONE_TAP' ? texts.autofill : texts.copyCode, otpType)],
  };
}
const ECOM = ['E_COMMERCE'];
const FIN = ['E_COMMERCE', 'FINANCIAL_SERVICES'];

const ENTRIES: Entry[] = [
  // ---- ORDER_MANAGEMENT ----
  {
    name: 'order_received_notice', language: 'en_US', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'RECEIPT_CONFIRMATION', industry: ECOM,
    header: 'Order received',
    body: 'Thanks for shopping with us. We have received order {{1}} and will let you know when it ships. Estimated delivery: {{2}}.',
    body_params: ['#48210', 'March 14'], body_param_types: ['TEXT', 'DATE'], buttons: [url('View order')],
  },
  {
    name: 'order_received_notice', language: 'es', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'RECEIPT_CONFIRMATION', industry: ECOM,
    header: 'Pedido recibido',
    body: 'Gracias por tu compra. Hemos recibido el pedido {{1}} y te avisaremos cuando salga. Entrega estimada: {{2}}.',
    body_params: ['#48210', '14 de marzo'], body_param_types: ['TEXT', 'DATE'], buttons: [url('Ver pedido')],
  },
  {
    name: 'order_received_notice', language: 'pt_BR', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'RECEIPT_CONFIRMATION', industry: ECOM,
    header: 'Pedido recebido',
    body: 'Obrigado pela compra. Recebemos o pedido {{1}} e avisaremos quando for enviado. Entrega prevista: {{2}}.',
    body_params: ['#48210', '14 de março'], body_param_types: ['TEXT', 'DATE'], buttons: [url('Ver pedido')],
  },
  {
    name: 'order_received_notice', language: 'de', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'RECEIPT_CONFIRMATION', industry: ECOM,
    header: 'Bestellung eingegangen',
    body: 'Danke für deinen Einkauf. Bestellung {{1}} ist bei uns eingegangen; wir melden uns, sobald sie versandt wird. Voraussichtliche Lieferung: {{2}}.',
    body_params: ['#48210', '14. März'], body_param_types: ['TEXT', 'DATE'], buttons: [url('Bestellung ansehen')],
  },
  {
    name: 'shipment_departed_update', language: 'en_US', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'SHIPMENT_CONFIRMATION', industry: ECOM,
    body: 'Good news: order {{1}} left our warehouse and is travelling with {{2}}. Follow its progress with the link below.',
    body_params: ['#48210', 'Parcel Express'], body_param_types: ['TEXT', 'TEXT'], buttons: [url('Track shipment')],
  },
  {
    name: 'shipment_departed_update', language: 'es', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'SHIPMENT_CONFIRMATION', industry: ECOM,
    body: 'Buenas noticias: el pedido {{1}} salió de nuestro almacén y viaja con {{2}}. Sigue su recorrido con el enlace de abajo.',
    body_params: ['#48210', 'Parcel Express'], body_param_types: ['TEXT', 'TEXT'], buttons: [url('Seguir envío')],
  },
  {
    name: 'delivery_window_update', language: 'en_US', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'DELIVERY_UPDATE', industry: ECOM,
    body: 'Order {{1}} is out for delivery today between {{2}} and {{3}}. Questions about the delivery? Call us.',
    body_params: ['#48210', '10:00', '14:00'], body_param_types: ['TEXT', 'TEXT', 'TEXT'], buttons: [url('Track package'), phone('Call support')],
  },
  {
    name: 'delivery_attempt_missed', language: 'en_US', category: 'UTILITY', topic: 'ORDER_MANAGEMENT', usecase: 'DELIVERY_FAILED', industry: ECOM,
    body: 'We tried to deliver order {{1}} but nobody was available. Reply to pick a new day, or call us to arrange a pickup.',
    body_params: ['#48210'], body_param_types: ['TEXT'], buttons: [reply('Pick a new day'), phone('Call us')],
  },
  // ---- PAYMENTS ----
  {
    name: 'payment_due_reminder', language: 'en_US', category: 'UTILITY', topic: 'PAYMENTS', usecase: 'PAYMENT_DUE_REMINDER', industry: FIN,
    header: 'Payment reminder',
    body: 'A friendly reminder: invoice {{1}} for {{2}} is due on {{3}}. You can pay it online in a few steps.',
    body_params: ['INV-7731', '$42.50', 'April 2'], body_param_types: ['TEXT', 'AMOUNT', 'DATE'], buttons: [url('Pay now')],
  },
  {
    name: 'payment_due_reminder', language: 'pt_BR', category: 'UTILITY', topic: 'PAYMENTS', usecase: 'PAYMENT_DUE_REMINDER', industry: FIN,
    header: 'Lembrete de pagamento',
    body: 'Um lembrete: a fatura {{1}} no valor de {{2}} vence em {{3}}. Você pode pagá-la online em poucos passos.',
    body_params: ['INV-7731', 'R$ 42,50', '2 de abril'], body_param_types: ['TEXT', 'AMOUNT', 'DATE'], buttons: [url('Pagar agora')],
  },
  {
    name: 'payment_due_reminder', language: 'de', category: 'UTILITY', topic: 'PAYMENTS', usecase: 'PAYMENT_DUE_REMINDER', industry: FIN,
    header: 'Zahlungserinnerung',
    body: 'Zur Erinnerung: Rechnung {{1}} über {{2}} ist am {{3}} fällig. Du kannst sie in wenigen Schritten online bezahlen.',
    body_params: ['INV-7731', '42,50 €', '2. April'], body_param_types: ['TEXT', 'AMOUNT', 'DATE'], buttons: [url('Jetzt bezahlen')],
  },
  {
    name: 'payment_received_receipt', language: 'en_US', category: 'UTILITY', topic: 'PAYMENTS', usecase: 'PAYMENT_CONFIRMATION', industry: FIN,
    body: 'We received your payment of {{1}} for invoice {{2}}. Thank you, no further action is needed.',
    body_params: ['$42.50', 'INV-7731'], body_param_types: ['AMOUNT', 'TEXT'], buttons: [url('View receipt')],
  },
  {
    name: 'payment_overdue_notice', language: 'en_US', category: 'UTILITY', topic: 'PAYMENTS', usecase: 'PAYMENT_OVERDUE', industry: FIN,
    body: 'Invoice {{1}} for {{2}} is now {{3}} days overdue. Please settle it, or call us if you need more time.',
    body_params: ['INV-7731', '$42.50', '5'], body_param_types: ['TEXT', 'AMOUNT', 'NUMBER'], buttons: [url('Pay invoice'), phone('Call billing')],
  },
  // ---- APPOINTMENTS (Meta's EVENT_REMINDER topic) ----
  {
    name: 'appointment_upcoming_reminder', language: 'en_US', category: 'UTILITY', topic: 'EVENT_REMINDER', usecase: 'APPOINTMENT_REMINDER', industry: ['HEALTH', 'PROFESSIONAL_SERVICES'],
    header: 'Upcoming appointment',
    body: 'Hello {{1}}, this is a reminder of your appointment on {{2}} at {{3}}. Reply to confirm, or call us to change it.',
    body_params: ['Sam', 'May 6', '9:30'], body_param_types: ['TEXT', 'DATE', 'TEXT'], buttons: [reply('Confirm'), phone('Call to reschedule')],
  },
  {
    name: 'appointment_upcoming_reminder', language: 'es', category: 'UTILITY', topic: 'EVENT_REMINDER', usecase: 'APPOINTMENT_REMINDER', industry: ['HEALTH', 'PROFESSIONAL_SERVICES'],
    header: 'Próxima cita',
    body: 'Hola {{1}}, te recordamos tu cita el {{2}} a las {{3}}. Responde para confirmarla o llámanos para cambiarla.',
    body_params: ['Sam', '6 de mayo', '9:30'], body_param_types: ['TEXT', 'DATE', 'TEXT'], buttons: [reply('Confirmar'), phone('Llamar')],
  },
  {
    name: 'appointment_booked_confirmation', language: 'en_US', category: 'UTILITY', topic: 'EVENT_REMINDER', usecase: 'APPOINTMENT_CONFIRMATION', industry: ['HEALTH', 'PROFESSIONAL_SERVICES'],
    body: 'Your appointment with {{1}} is booked for {{2}}. The details and directions are one tap away.',
    body_params: ['Dr. Rivera', 'May 6, 9:30'], body_param_types: ['TEXT', 'DATE'], buttons: [url('See details')],
  },
  // ---- ACCOUNT_UPDATE ----
  {
    name: 'account_opened_welcome', language: 'en_US', category: 'UTILITY', topic: 'ACCOUNT_UPDATE', usecase: 'ACCOUNT_CREATION_CONFIRMATION', industry: ['E_COMMERCE', 'FINANCIAL_SERVICES'],
    body: 'Hi {{1}}, your account is ready to use. Sign in any time to manage your details and preferences.',
    body_params: ['Sam'], body_param_types: ['TEXT'], buttons: [url('Sign in')],
  },
  {
    name: 'account_password_changed', language: 'en_US', category: 'UTILITY', topic: 'ACCOUNT_UPDATE', usecase: 'PASSWORD_CHANGE', industry: ['E_COMMERCE', 'FINANCIAL_SERVICES'],
    body: 'The password of account {{1}} was changed on {{2}}. If this was not you, call us straight away.',
    body_params: ['sam@example.com', 'June 3'], body_param_types: ['EMAIL', 'DATE'], buttons: [phone('Call security team')],
  },
  {
    name: 'account_password_changed', language: 'de', category: 'UTILITY', topic: 'ACCOUNT_UPDATE', usecase: 'PASSWORD_CHANGE', industry: ['E_COMMERCE', 'FINANCIAL_SERVICES'],
    body: 'Das Passwort des Kontos {{1}} wurde am {{2}} geändert. Warst du das nicht, ruf uns bitte sofort an.',
    body_params: ['sam@example.com', '3. Juni'], body_param_types: ['EMAIL', 'DATE'], buttons: [phone('Sicherheitsteam anrufen')],
  },
  // ---- AUTHENTICATION ----
  // Meta writes an authentication template's texts itself: the entries hold the preset body and
  // OTP label of their language (auth-text.ts), the same words a template made from them stores.
  authEntry('verification_code_copy', 'en_US', 'COPY_CODE'),
  authEntry('verification_code_copy', 'es', 'COPY_CODE'),
  authEntry('verification_code_copy', 'pt_BR', 'COPY_CODE'),
  authEntry('verification_code_copy', 'de', 'COPY_CODE'),
  authEntry('verification_code_one_tap', 'en_US', 'ONE_TAP'),
];

/** A stable, Meta-like numeric id per entry (16 digits, from its name and language). */
function entryId(name: string, language: string): string {
  let h = 0xcbf29ce484222325n;
  for (const ch of `${name}/${language}`) h = BigInt.asUintN(64, (h ^ BigInt(ch.codePointAt(0)!)) * 0x100000001b3n);
  return String(1_000_000_000_000_000n + (h % 9_000_000_000_000_000n));
}

/** The whole catalogue, ordered by name then language (the list's order and cursor). */
export const LIBRARY: readonly LibraryTemplate[] = ENTRIES.map((e) => ({ ...e, id: entryId(e.name, e.language) })).sort((a, b) =>
  a.name === b.name ? (a.language < b.language ? -1 : 1) : a.name < b.name ? -1 : 1,
);

/** Every language of a library template name (empty when the library has no such name). */
export function libraryEntries(name: string): LibraryTemplate[] {
  return LIBRARY.filter((e) => e.name === name);
}
