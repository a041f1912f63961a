// Commerce interactive types: one product (product), up to 30 products in 1–10 sections
// (product_list), and the whole catalog (catalog_message).
import { arr, fail, obj, onlyKeys, optObj, optStr, str, type Obj } from '../check.ts';
import { actionName } from './interactive-links.ts';

export const PRODUCT_SECTIONS_MAX = 10;
export const PRODUCT_ITEMS_MAX = 30;
export const PRODUCT_SECTION_TITLE_MAX = 24;

export function productAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['catalog_id', 'product_retailer_id']);
  str(a.catalog_id, `${f}.catalog_id`, { max: 256 });
  str(a.product_retailer_id, `${f}.product_retailer_id`, { max: 256 });
}

/** Product sections: a product_list's action, and a template's `mpm` button. */
export function productSections(v: unknown, f: string): void {
  const sections = arr(v, f, { min: 1, max: PRODUCT_SECTIONS_MAX });
  let items = 0;
  sections.forEach((s, i) => {
    const sf = `${f}[${i}]`;
    const o = obj(s, sf);
    onlyKeys(o, sf, ['title', 'product_items']);
    if (sections.length > 1 && o.title === undefined) throw fail(`${sf}.title`, 'is required when there is more than one section');
    optStr(o.title, `${sf}.title`, { max: PRODUCT_SECTION_TITLE_MAX });
    arr(o.product_items, `${sf}.product_items`, { min: 1 }).forEach((p, j) => {
      const pf = `${sf}.product_items[${j}]`;
      if (++items > PRODUCT_ITEMS_MAX) throw fail(pf, `at most ${PRODUCT_ITEMS_MAX} products across all sections`);
      const item = obj(p, pf);
      onlyKeys(item, pf, ['product_retailer_id']);
      str(item.product_retailer_id, `${pf}.product_retailer_id`, { max: 256 });
    });
  });
}

export function productListAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['catalog_id', 'sections']);
  str(a.catalog_id, `${f}.catalog_id`, { max: 256 });
  productSections(a.sections, `${f}.sections`);
}

export function catalogAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['name', 'parameters']);
  actionName(a, f, 'catalog_message');
  const p = optObj(a.parameters, `${f}.parameters`);
  if (p) {
    onlyKeys(p, `${f}.parameters`, ['thumbnail_product_retailer_id']);
    optStr(p.thumbnail_product_retailer_id, `${f}.parameters.thumbnail_product_retailer_id`, { max: 256 });
  }
}
