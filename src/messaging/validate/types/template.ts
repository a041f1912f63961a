// template: {name, language:{code, policy?}, components?}. On-Premise also needs `namespace`
// and `language.policy: "deterministic"`; Cloud takes a namespace and ignores it.
import { arr, fail, obj, onlyKeys, optStr, str, type Obj } from '../check.ts';
import type { TemplateRef } from '../message.ts';
import type { Flavour, TypeResult } from './common.ts';
import { components } from './template-components.ts';

export const TEMPLATE_NAME_MAX = 512;

export function template(v: unknown, f: string, flavour: Flavour): TypeResult {
  const o = obj(v, f);
  onlyKeys(o, f, ['name', 'language', 'components', 'namespace']);
  const name = str(o.name, `${f}.name`, { max: TEMPLATE_NAME_MAX });
  const lang = obj(o.language, `${f}.language`);
  onlyKeys(lang, `${f}.language`, ['code', 'policy']);
  const code = str(lang.code, `${f}.language.code`, { max: 16 });
  if (lang.policy === undefined) {
    if (flavour === 'onpremise') throw fail(`${f}.language.policy`, 'is required on the On-Premise API and must be "deterministic"');
  } else if (lang.policy !== 'deterministic') {
    throw fail(`${f}.language.policy`, `must be "deterministic" (got ${JSON.stringify(lang.policy).slice(0, 30)})`);
  }
  // On-Premise's is compared with the WABA's at the send; Cloud's is checked for its form and ignored.
  let namespace: TemplateRef['namespace'];
  if (flavour === 'onpremise') namespace = { value: str(o.namespace, `${f}.namespace`, { max: 128 }), field: `${f}.namespace` };
  else optStr(o.namespace, `${f}.namespace`, { max: 128 });
  const list = o.components === undefined ? [] : arr(o.components, `${f}.components`, { max: 20 });
  const found = components(list, `${f}.components`, flavour);
  return { content: o, template: { name, language: code, components: list as Obj[], namespace }, mediaId: found.mediaId };
}
