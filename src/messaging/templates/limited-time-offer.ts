// A limited-time offer template (Meta's "limited-time offer templates"): a MARKETING template with
// a LIMITED_TIME_OFFER component `{limited_time_offer: {text (≤ 16), has_expiration?}}`, a BODY of
// at most 600 characters, an optional IMAGE or VIDEO header, no FOOTER, and a URL button. A
// COPY_CODE button, when there is one, comes first; has_expiration: true needs it (the code the
// countdown belongs to). Each send then gives the offer's expiration_time_ms (check.ts).
import { bool, fail, obj, onlyKeys, str, type Obj } from '../validate/check.ts';

export const LTO_TEXT_MAX = 16;
export const LTO_BODY_MAX = 600;

export function limitedTimeOfferComponent(c: Obj, f: string): Obj {
  onlyKeys(c, f, ['type', 'limited_time_offer']);
  const o = obj(c.limited_time_offer, `${f}.limited_time_offer`);
  onlyKeys(o, `${f}.limited_time_offer`, ['text', 'has_expiration']);
  const text = str(o.text, `${f}.limited_time_offer.text`, { max: LTO_TEXT_MAX });
  const hasExpiration = bool(o.has_expiration, `${f}.limited_time_offer.has_expiration`);
  return { type: 'LIMITED_TIME_OFFER', limited_time_offer: { text, ...(hasExpiration === undefined ? {} : { has_expiration: hasExpiration }) } };
}

/** The rules between the offer and the template's other components; `fieldOf` names a component in the request. */
export function checkLimitedTimeOffer(byType: Map<string, Obj>, fieldOf: (type: string) => string, f: string): void {
  if (byType.has('FOOTER')) throw fail(`${fieldOf('FOOTER')}.type`, 'a limited-time offer template has no FOOTER');
  const header = byType.get('HEADER');
  if (header && header.format !== 'IMAGE' && header.format !== 'VIDEO') {
    throw fail(`${fieldOf('HEADER')}.format`, `a limited-time offer template's header is IMAGE or VIDEO (got ${String(header.format)})`);
  }
  const buttons = (byType.get('BUTTONS')?.buttons as Obj[] | undefined) ?? [];
  const at = byType.has('BUTTONS') ? `${fieldOf('BUTTONS')}.buttons` : f;
  if (!buttons.some((b) => b.type === 'URL')) throw fail(at, 'a limited-time offer template needs a URL button');
  const copy = buttons.findIndex((b) => b.type === 'COPY_CODE');
  if (copy > 0) throw fail(`${at}[${copy}]`, "a limited-time offer template's COPY_CODE button must be the first button");
  const offer = byType.get('LIMITED_TIME_OFFER')!.limited_time_offer as Obj;
  if (offer.has_expiration === true && copy < 0) {
    throw fail(at, 'a limited-time offer with has_expiration: true needs a COPY_CODE button (the first button)');
  }
}
