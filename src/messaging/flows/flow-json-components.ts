// The components of a Flow JSON screen (`layout.children`) and the actions they carry, checked as
// Meta's Flow JSON reference describes them: a known `type`, the properties that type cannot do
// without, containers (Form, If, Switch) checked inside, and actions of a known name whose
// `navigate` goes to a screen of the flow. Meta checks much more (each property's type and
// value, which components a Flow JSON version has, character limits, how many of a kind a
// screen may hold); those are left out here rather than guessed at, except for PhotoPicker and
// DocumentPicker, whose rules Meta's media upload reference spells out (flow-json-media.ts).
import { at, pathText as pathOf, shown, typeName, type JsonPath, type Problems } from './flow-json-problems.ts';
import { isObj } from '../validate/check.ts';
import { checkFormInit, checkPicker, checkPickerPayload, isPickerType, type PickerContext } from './flow-json-media.ts';


/**
 * Meta's components, with the properties each requires. From Meta's Flow JSON component
 * reference as remembered, not read today: "required" is kept to what every version asks for
 * (a label, for example, is left out where versions differ on it).
 */
export const COMPONENTS: ReadonlyMap<string, readonly string[]> = new Map([
  ['TextHeading', ['text']],
  ['TextSubheading', ['text']],
  ['TextBody', ['text']],
  ['TextCaption', ['text']],
  ['RichText', ['text']],
  ['TextInput', ['name', 'label']],
  ['TextArea', ['name', 'label']],
  ['CheckboxGroup', ['name', 'data-source']],
  ['RadioButtonsGroup', ['name', 'data-source']],
  ['Dropdown', ['name', 'data-source']],
  ['ChipsSelector', ['name', 'data-source']],
  ['DatePicker', ['name']],
  ['CalendarPicker', ['name']],
  ['OptIn', ['name', 'label']],
  ['EmbeddedLink', ['text', 'on-click-action']],
  ['Footer', ['label', 'on-click-action']],
  ['Image', ['src']],
  ['ImageCarousel', ['images']],
  // Meta's media upload reference: name and label required (flow-json-media.ts checks the rest).
  ['PhotoPicker', ['name', 'label']],
  ['DocumentPicker', ['name', 'label']],
  ['NavigationList', ['name', 'list-items']],
  ['Form', ['name', 'children']],
  ['If', ['condition', 'then']],
  ['Switch', ['value', 'cases']],
]);

/** Meta's action names (update_data and open_url came with Flow JSON 6.0). */
export const ACTIONS = ['navigate', 'complete', 'data_exchange', 'update_data', 'open_url'] as const;
/** The properties of a component that hold an action. */
const ACTION_KEYS = ['on-click-action', 'on-select-action', 'on-unselect-action'];

/**
 * How deep containers (Form, If, Switch) may nest. Meta allows If inside If up to three levels;
 * this check stops deeper than that with room to spare, and so never recurses without bound on
 * a hostile file.
 */
export const MAX_NESTING = 8;

/** What the walk of one flow's screens gathers beside its problems. */
export interface ComponentContext extends PickerContext {
  /** The flow's screen ids: where `navigate` may go. */
  screenIds: ReadonlySet<string>;
  /** Footers seen in the screen being walked. */
  footers: number;
  /** Whether the flow declares data_api_version: a data_exchange action talks to its endpoint. */
  usesEndpoint: boolean;
}

function checkAction(action: unknown, path: JsonPath, ctx: ComponentContext, p: Problems): void {
  if (!isObj(action)) return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(path)} to be object but found ${typeName(action)}`, path);
  const name = action.name;
  if (name === undefined) return p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "name" is missing at ${pathOf(path)}`, path);
  if (typeof name !== 'string' || !(ACTIONS as readonly string[]).includes(name)) {
    return p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "name" at ${pathOf(path)}: ${shown(name)} is not an action (${ACTIONS.join(', ')})`, at(path, 'name'));
  }
  checkPickerPayload(action, name, path, ctx, p);
  if (name === 'data_exchange') {
    if (!ctx.usesEndpoint) {
      p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "name" at ${pathOf(path)}: a data_exchange action sends the screen's data to the flow's endpoint, and this flow has none (add "data_api_version": "3.0" and a routing_model, and set the flow's endpoint_uri)`, at(path, 'name'));
    }
    return;
  }
  if (name !== 'navigate') return;
  const next = action.next;
  if (next === undefined) return p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "next" is missing at ${pathOf(path)}: a navigate action names the screen it goes to ({"type":"screen","name":"…"})`, path);
  const nextPath = at(path, 'next');
  if (!isObj(next)) return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(nextPath)} to be object but found ${typeName(next)}`, nextPath);
  // Only a screen is checked: `type` has had other values (a plugin) that this check does not know.
  if (next.type !== undefined && next.type !== 'screen') return;
  if (next.name === undefined) return p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "name" is missing at ${pathOf(nextPath)}`, nextPath);
  const target = at(nextPath, 'name');
  if (typeof next.name !== 'string') return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(target)} to be string but found ${typeName(next.name)}`, target);
  if (!ctx.screenIds.has(next.name)) {
    p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "name" at ${pathOf(target)}: the navigate action goes to screen ${shown(next.name)}, which is not a screen of this flow`, target);
  }
}

/** The components of an array (a layout's, a Form's, an If branch's, a Switch case's). */
export function checkComponents(list: unknown, path: JsonPath, depth: number, ctx: ComponentContext, p: Problems): void {
  if (!Array.isArray(list)) return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(path)} to be array but found ${typeName(list)}`, path);
  if (depth > MAX_NESTING) return p.add('INVALID_PROPERTY_VALUE', `Components nest too deeply at ${pathOf(path)}: Form, If and Switch may hold one another at most ${MAX_NESTING} levels deep`, path);
  for (let j = 0; j < list.length && !p.full; j++) checkComponent(list[j], at(path, j), depth, ctx, p);
}

function checkComponent(c: unknown, path: JsonPath, depth: number, ctx: ComponentContext, p: Problems): void {
  if (!isObj(c)) return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(path)} to be object but found ${typeName(c)}`, path);
  const type = c.type;
  if (type === undefined) return p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "type" is missing at ${pathOf(path)}`, path);
  const required = typeof type === 'string' ? COMPONENTS.get(type) : undefined;
  if (!required) {
    return p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "type" at ${pathOf(path)}: ${shown(type)} is not a component (${[...COMPONENTS.keys()].join(', ')})`, at(path, 'type'));
  }
  for (const prop of required) {
    if (c[prop] === undefined) p.add('MISSING_REQUIRED_TYPE_PROPERTY', `Required property "${prop}" is missing at ${pathOf(path)} (${type})`, path);
  }
  if (type === 'Footer') ctx.footers++;
  if (isPickerType(type)) checkPicker(c, type, path, ctx, p);
  if (type === 'Form') checkFormInit(c, path, ctx, p);
  for (const key of ACTION_KEYS) if (c[key] !== undefined) checkAction(c[key], at(path, key), ctx, p);
  if (type === 'NavigationList' && Array.isArray(c['list-items'])) {
    const items = c['list-items'];
    for (let k = 0; k < items.length && !p.full; k++) {
      const item: unknown = items[k];
      if (isObj(item) && item['on-click-action'] !== undefined) checkAction(item['on-click-action'], at(at(at(path, 'list-items'), k), 'on-click-action'), ctx, p);
    }
  }
  if (type === 'Form' && c.children !== undefined) checkComponents(c.children, at(path, 'children'), depth + 1, ctx, p);
  if (type === 'If') {
    if (c.then !== undefined) checkComponents(c.then, at(path, 'then'), depth + 1, ctx, p);
    if (c.else !== undefined) checkComponents(c.else, at(path, 'else'), depth + 1, ctx, p);
  }
  if (type === 'Switch' && c.cases !== undefined) {
    const casesPath = at(path, 'cases');
    if (!isObj(c.cases)) return p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(casesPath)} to be object but found ${typeName(c.cases)}`, casesPath);
    // for…in, not Object.entries: a hostile file's 800,000 cases are not copied into an array first.
    const cases = c.cases;
    for (const k in cases) {
      if (p.full) break;
      checkComponents(cases[k], at(casesPath, k), depth + 1, ctx, p);
    }
  }
}
