// The fixed texts of an AUTHENTICATION template, per language: the one source for what openwaba
// writes into such a template when it is created (components.ts, buttons.ts), what its previews
// show (previews.ts, GET /message_template_previews) and what the template library's
// authentication entries hold (library.ts, library-create.ts). Meta writes these texts itself, in
// the template's language:
//
//   body    "*{{1}}* is your verification code."  (+ " For your security, do not share this code."
//            with add_security_recommendation)
//   footer  "This code expires in 10 minutes."    (code_expiration_minutes)
//   button  "Copy code" (the OTP button's label when none is given), "Autofill" (one-tap)
//
// English and Spanish are Meta's own wording (its message_template_previews reference shows both);
// the other languages are openwaba's translations in the same shape: the code stays {{1}} (bold,
// as Meta writes it), nothing else is a placeholder. Each button label fits Meta's 25 characters.
// The minutes always take the plural form, as Meta's English preset is written ("This code expires
// in <NUM_MINUTES> minutes."); Russian uses "мин." to stay right for every number.
//
// A language is looked up as given (pt_BR), then by its base language (es_MX → es, en_GB → en);
// a language this table does not have falls back to English, the wording openwaba wrote for every
// language before (Meta translates into each of its template languages; we cover the common ones).

export interface AuthTexts {
  /** The preset body; the code is the template's only placeholder, {{1}}. */
  body: string;
  /** The sentence add_security_recommendation appends to the body (after one space). */
  security: string;
  /** The footer code_expiration_minutes writes. */
  expires: (minutes: number) => string;
  /** The OTP button's label when the template names none ("Copy code"). */
  copyCode: string;
  /** A one-tap button's autofill label ("Autofill"). */
  autofill: string;
}

const t = (body: string, security: string, expires: (m: number) => string, copyCode: string, autofill: string): AuthTexts => ({ body, security, expires, copyCode, autofill });

/** The language English stands for: the fallback. */
export const AUTH_FALLBACK_LANGUAGE = 'en';

const TEXTS: Record<string, AuthTexts> = {
  en: t('*{{1}}* is your verification code.', 'For your security, do not share this code.', (m) => `This code expires in ${m} minutes.`, 'Copy code', 'Autofill'),
  es: t('Tu código de verificación es *{{1}}*.', 'Por tu seguridad, no lo compartas.', (m) => `Este código caduca en ${m} minutos.`, 'Copiar código', 'Autocompletar'),
  pt_BR: t('*{{1}}* é seu código de verificação.', 'Para sua segurança, não o compartilhe.', (m) => `Este código expira em ${m} minutos.`, 'Copiar código', 'Preencher automaticamente'),
  pt_PT: t('*{{1}}* é o seu código de verificação.', 'Para sua segurança, não o partilhe.', (m) => `Este código expira dentro de ${m} minutos.`, 'Copiar código', 'Preenchimento automático'),
  de: t('*{{1}}* ist dein Bestätigungscode.', 'Gib diesen Code zu deiner Sicherheit nicht weiter.', (m) => `Dieser Code läuft in ${m} Minuten ab.`, 'Code kopieren', 'Automatisch ausfüllen'),
  fr: t('*{{1}}* est votre code de vérification.', 'Pour votre sécurité, ne le partagez pas.', (m) => `Ce code expire dans ${m} minutes.`, 'Copier le code', 'Saisie automatique'),
  it: t('*{{1}}* è il tuo codice di verifica.', 'Per la tua sicurezza, non condividerlo.', (m) => `Questo codice scade tra ${m} minuti.`, 'Copia codice', 'Compilazione automatica'),
  nl: t('*{{1}}* is je verificatiecode.', 'Deel deze code voor je eigen veiligheid met niemand.', (m) => `Deze code verloopt over ${m} minuten.`, 'Code kopiëren', 'Automatisch invullen'),
  id: t('*{{1}}* adalah kode verifikasi Anda.', 'Demi keamanan Anda, jangan bagikan kode ini.', (m) => `Kode ini kedaluwarsa dalam ${m} menit.`, 'Salin kode', 'Isi otomatis'),
  tr: t('*{{1}}* doğrulama kodunuzdur.', 'Güvenliğiniz için bu kodu kimseyle paylaşmayın.', (m) => `Bu kodun süresi ${m} dakika içinde dolacak.`, 'Kodu kopyala', 'Otomatik doldur'),
  ru: t('*{{1}}* — ваш код подтверждения.', 'В целях безопасности никому не сообщайте этот код.', (m) => `Срок действия этого кода истекает через ${m} мин.`, 'Копировать код', 'Автозаполнение'),
  ar: t('رمز التحقق الخاص بك هو *{{1}}*.', 'حفاظًا على أمانك، لا تشارك هذا الرمز.', (m) => `تنتهي صلاحية هذا الرمز خلال ${m} دقيقة.`, 'نسخ الرمز', 'ملء تلقائي'),
  hi: t('*{{1}}* आपका वेरिफ़िकेशन कोड है।', 'अपनी सुरक्षा के लिए, इस कोड को किसी के साथ शेयर न करें।', (m) => `यह कोड ${m} मिनट में समाप्त हो जाएगा।`, 'कोड कॉपी करें', 'ऑटोफ़िल करें'),
};

/** The language whose texts `language` gets: itself, its base language, or English (the fallback). */
export function authTextLanguage(language: string): string {
  if (TEXTS[language]) return language;
  const base = language.split('_')[0]!;
  if (TEXTS[base]) return base;
  return AUTH_FALLBACK_LANGUAGE;
}

/** The texts of an authentication template in `language` (English for a language not in the table). */
export function authTexts(language: string): AuthTexts {
  return TEXTS[authTextLanguage(language)]!;
}

/** The body Meta writes: the preset, with the security sentence when asked. */
export function authBodyText(language: string, security: boolean): string {
  const x = authTexts(language);
  return security ? `${x.body} ${x.security}` : x.body;
}

/** The footer Meta writes for code_expiration_minutes. */
export function authFooterText(language: string, minutes: number): string {
  return authTexts(language).expires(minutes);
}
