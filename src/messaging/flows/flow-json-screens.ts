// The screens of a Flow JSON and what ties them together, as Meta's Flow JSON reference describes:
//   - `screens` is a non-empty array of objects, each with a unique `id` of letters and
//     underscores; SUCCESS is a reserved word and not a screen id;
//   - each screen has a `layout` of type SingleColumnLayout whose `children` are components
//     (flow-json-components.ts);
//   - at least one screen is `terminal: true`, and a terminal screen has a Footer (its way out);
//   - `routing_model` (which a flow with an endpoint, `data_api_version`, must have) names only
//     screens of the flow, as does every `navigate` action.
// Unsure (written from memory of Meta's reference, not checked against it today): screen ids of
// "alphabets and underscores" — Meta's examples are all upper case, so digits are refused and lower
// case is taken rather than refuse a flow Meta might take; routing_model being required with
// data_api_version in every Flow JSON version. The error names of the rules whose answers from
// Meta were not seen (MISSING_FOOTER, MISSING_TERMINAL_SCREEN) are this check's own; the others
// are the names Meta uses (INVALID_PROPERTY_VALUE, MISSING_REQUIRED_TYPE_PROPERTY, …).
import { checkComponents, MAX_NESTING, type ComponentContext } from './flow-json-components.ts';
import { collectPickers } from './flow-json-media.ts';
import { at, pathText, shown, typeName, type JsonPath, type Problems } from './flow-json-problems.ts';
import { isObj } from '../validate/check.ts';


export const SCREEN_ID = /^[A-Za-z_]+$/;
export const RESERVED_SCREEN_ID = 'SUCCESS';
export const LAYOUT_TYPE = 'SingleColumnLayout';

const SCREENS: JsonPath = at(null, 'screens');

/** Each screen id with the index of its first screen (of the screens with a usable id). */
function screenIds(screens: unknown[]): Map<string, number> {
  const ids = new Map<string, number>();
  for (let i = 0; i < screens.length; i++) {
    const s: unknown = screens[i];
    if (isObj(s) && typeof s.id === 'string' && s.id !== '' && !ids.has(s.id)) ids.set(s.id, i);
  }
  return ids;
}

function checkId(s: Record<string, unknown>, i: number, path: JsonPath, ids: Map<string, number>, p: Problems): void {
  const where = `screens[${i}]`;
  if (s.id === undefined) return p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "id" is missing at ${where}`, path);
  const idPath = at(path, 'id');
  if (typeof s.id !== 'string' || s.id === '') return p.add('INVALID_PROPERTY_TYPE', `Expected ${where}.id to be a non-empty string but found ${typeName(s.id)}`, idPath);
  const first = ids.get(s.id)!;
  if (first !== i) return p.add('INVALID_PROPERTY_VALUE', `Screen id "${s.id.slice(0, 80)}" at ${where}.id is already used by screens[${first}]; screen ids must be unique`, idPath);
  if (s.id === RESERVED_SCREEN_ID) return p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "id" at ${where}: ${RESERVED_SCREEN_ID} is a reserved keyword and cannot be a screen id`, idPath);
  if (!SCREEN_ID.test(s.id)) return p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "id" at ${where}: ${shown(s.id)}; a screen id contains only letters and underscores (such as "SIGN_UP")`, idPath);
}

/** A screen's layout and its components; whether it has a Footer, or undefined when the layout is too broken to tell. */
function checkLayout(s: Record<string, unknown>, path: JsonPath, ctx: ComponentContext, p: Problems): boolean | undefined {
  const where = pathText(path);
  if (s.layout === undefined) return void p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "layout" is missing at ${where}`, path);
  const layoutPath = at(path, 'layout');
  const layout = s.layout;
  if (!isObj(layout)) return void p.add('INVALID_PROPERTY_TYPE', `Expected ${where}.layout to be object but found ${typeName(layout)}`, layoutPath);
  if (layout.type === undefined) p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "type" is missing at ${where}.layout (it is "${LAYOUT_TYPE}")`, layoutPath);
  else if (layout.type !== LAYOUT_TYPE) p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "type" at ${where}.layout: ${shown(layout.type)}; the only layout is "${LAYOUT_TYPE}"`, at(layoutPath, 'type'));
  if (layout.children === undefined) return void p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "children" is missing at ${where}.layout`, layoutPath);
  ctx.footers = 0;
  ctx.screenPickers = [];
  const before = p.list.length;
  checkComponents(layout.children, at(layoutPath, 'children'), 1, ctx, p);
  // Children that are not even an array say nothing of a Footer.
  if (!Array.isArray(layout.children) && p.list.length > before) return undefined;
  return ctx.footers > 0;
}

/** Checks `screens`; answers the flow's screen ids (for routing_model), or undefined when it has no usable screens. */
export function checkScreens(screens: unknown, usesEndpoint: boolean, p: Problems, version: string | null = null): ReadonlySet<string> | undefined {
  if (screens === undefined) return void p.add('MISSING_REQUIRED_TYPE_PROPERTY', 'Required property "screens" is missing');
  if (!Array.isArray(screens)) return void p.add('INVALID_PROPERTY_TYPE', `Expected "screens" to be array but found ${typeName(screens)}`, SCREENS);
  if (screens.length === 0) return void p.add('MIN_ITEMS_REQUIRED', 'Property "screens" should have at least 1 item', SCREENS);
  const ids = screenIds(screens);
  const ctx: ComponentContext = { screenIds: new Set(ids.keys()), footers: 0, usesEndpoint, version, pickers: collectPickers(screens, MAX_NESTING), screenPickers: [] };
  let terminals = 0;
  for (let i = 0; i < screens.length && !p.full; i++) {
    const s: unknown = screens[i];
    const path = at(SCREENS, i);
    if (!isObj(s)) {
      p.add('INVALID_PROPERTY_TYPE', `Expected screens[${i}] to be object but found ${typeName(s)}`, path);
      continue;
    }
    checkId(s, i, path, ids, p);
    ctx.screenId = typeof s.id === 'string' ? s.id : undefined;
    if (s.terminal !== undefined && typeof s.terminal !== 'boolean') p.add('INVALID_PROPERTY_TYPE', `Expected screens[${i}].terminal to be boolean but found ${typeName(s.terminal)}`, at(path, 'terminal'));
    if (s.title !== undefined && typeof s.title !== 'string') p.add('INVALID_PROPERTY_TYPE', `Expected screens[${i}].title to be string but found ${typeName(s.title)}`, at(path, 'title'));
    if (s.terminal === true) terminals++;
    const hasFooter = checkLayout(s, path, ctx, p);
    if (s.terminal === true && hasFooter === false) {
      p.add('MISSING_FOOTER', `Terminal screen ${shown(s.id)} at screens[${i}] has no Footer: a terminal screen ends the flow with a Footer (its on-click-action usually "complete")`, at(path, 'layout'));
    }
  }
  if (terminals === 0 && screens.some(isObj)) {
    p.add('MISSING_TERMINAL_SCREEN', 'The flow has no terminal screen: at least one screen must have "terminal": true (and a Footer that completes the flow)', SCREENS);
  }
  return ctx.screenIds;
}

/** `routing_model`: `{"SCREEN": ["NEXT_SCREEN", …]}`, screens of the flow only; required with `data_api_version`. */
export function checkRoutingModel(model: unknown, screenIds: ReadonlySet<string>, usesEndpoint: boolean, p: Problems): void {
  const path = at(null, 'routing_model');
  if (model === undefined) {
    if (usesEndpoint) p.add('MISSING_REQUIRED_TYPE_PROPERTY', 'Required property "routing_model" is missing: a flow with data_api_version (one that uses an endpoint) names the screens each screen may go to, such as {"WELCOME": ["DETAILS"], "DETAILS": []}');
    return;
  }
  if (!isObj(model)) return p.add('INVALID_PROPERTY_TYPE', `Expected "routing_model" to be object but found ${typeName(model)}`, path);
  // for…in, not Object.entries: a hostile file's 800,000 routes are not copied into an array first.
  for (const from in model) {
    if (p.full) return;
    const targets = model[from];
    const fromPath = at(path, from);
    if (!screenIds.has(from)) p.add('INVALID_PROPERTY_VALUE', `Invalid value found in "routing_model": ${shown(from)} is not a screen of this flow`, fromPath);
    if (!Array.isArray(targets)) {
      p.add('INVALID_PROPERTY_TYPE', `Expected ${pathText(fromPath)} to be array but found ${typeName(targets)}`, fromPath);
      continue;
    }
    for (let j = 0; j < targets.length && !p.full; j++) {
      const to: unknown = targets[j];
      if (typeof to !== 'string' || !screenIds.has(to)) {
        p.add('INVALID_PROPERTY_VALUE', `Invalid value found in "routing_model" at ${pathText(at(fromPath, j))}: ${shown(to)} is not a screen of this flow; a route goes only to an existing screen`, at(fromPath, j));
      }
    }
  }
}
