// Running a WhatsApp Flow on the sandbox phone, one posted screen at a time: the state the page
// carries between screens, and what a tapped Footer, EmbeddedLink or OptIn link does — navigate
// (to its screen, whose data is the action's payload), complete (the nfm_reply's response_json:
// flow_token and the payload), update_data (Flow JSON 6.0), data_exchange (handed to the caller,
// which asks the business's endpoint: flow-endpoint.ts; the preview only says it would), or what
// the sandbox cannot do (open_url leaves WhatsApp). A field's on-select-action / on-unselect-action
// (update_data, data_exchange) runs when the page posts the changed field (runSelect).
//
// The state travels in a hidden field of the page, not signed: the simulated user could send any
// nfm_reply through POST /sandbox/v1/inbound anyway. It is checked as untrusted input (shape, sizes),
// every screen it names must be in the flow, and everything it holds is escaped when drawn.
import { resolve, type Scope, type Values } from './flow-expr.ts';
import { formValue, hasSelectAction, isField } from './flow-fields.ts';
import { navItemsOf } from './flow-navlist.ts';
import { allFields, buildScreen, componentAt, initialValues, type BuiltScreen, type FlowDoc, type Path, type ScreenDef } from './flow-screen.ts';
import { isPickedFile, type PickedFile } from '../../messaging/flows/flow-media.ts';

export interface FlowState {
  screen: string;
  data: Values;
  /** The values entered on each screen visited (global `${screen.X.form.y}`, and kept when going back). */
  forms: Record<string, Values>;
  /** The screens before this one, for Back (and `${screen.X.data.y}`). */
  stack: { screen: string; data: Values }[];
}

export const MAX_STACK = 50;
/** The longest state a page carries (the phone's forms are at most 64 KB, the state's field among them). */
export const MAX_STATE_CHARS = 60_000;
const isObj = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

export function encodeState(s: FlowState): string {
  return Buffer.from(JSON.stringify(s), 'utf8').toString('base64url');
}

/** The state a page posted back, or undefined when it is not one. */
export function decodeState(v: unknown): FlowState | undefined {
  if (typeof v !== 'string' || v.length > MAX_STATE_CHARS || !/^[A-Za-z0-9_-]*$/.test(v)) return undefined;
  let s: unknown;
  try {
    s = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObj(s) || typeof s.screen !== 'string' || !isObj(s.data) || !isObj(s.forms) || !Array.isArray(s.stack) || s.stack.length > MAX_STACK) return undefined;
  if (!Object.values(s.forms).every(isObj)) return undefined;
  if (!s.stack.every((e) => isObj(e) && typeof e.screen === 'string' && isObj(e.data))) return undefined;
  return s as unknown as FlowState;
}

export function screenOf(doc: FlowDoc, id: string): ScreenDef | undefined {
  return doc.screens.find((s) => s.id === id);
}

export function scopeOf(state: FlowState, form: Values): Scope {
  const screens: Scope['screens'] = {};
  for (const e of state.stack) screens[e.screen] = { data: e.data, form: state.forms[e.screen] ?? {} };
  screens[state.screen] = { data: state.data, form };
  return { data: state.data, form, screens };
}

/** What the page shows: a screen with its values (and problems when `validate`). */
export interface ShownScreen {
  state: FlowState;
  screen: ScreenDef;
  built: BuiltScreen;
  notice?: string;
  error?: string;
  /** The endpoint's error_message, shown as WhatsApp shows it: a snackbar over the screen. */
  snackbar?: string;
}

/** A screen as it opens (its fields with the values entered before, or their initial values). */
export function openScreen(state: FlowState, screen: ScreenDef, notice?: string): ShownScreen {
  const values = state.forms[screen.id] ?? initialValues(screen, scopeOf(state, {}));
  return { state, screen, built: buildScreen(screen, scopeOf(state, values), values, false), ...(notice ? { notice } : {}) };
}

/** What a tap does where data_exchange is not run (the preview): a screen, or the flow's answer. */
export type LocalOutcome =
  | { kind: 'show'; shown: ShownScreen; status: number }
  /**
   * `media`: the payload's top-level properties that hold a picker's files (as the state keeps
   * them), for the caller to turn into what WhatsApp sends (flow-media.ts) in `payload`.
   */
  | { kind: 'complete'; responseJson: string; payload?: Values; media?: Record<string, PickedFile[]> };

export type Outcome =
  | LocalOutcome
  /**
   * A data_exchange action (when the caller asked for them): `data` is its payload, `entered` what
   * the screen's fields hold (kept for when the user comes back), `here` the screen as it is now.
   */
  | { kind: 'exchange'; data: Values; entered: Values; here: ShownScreen; media?: Record<string, PickedFile[]> };

function pathOf(v: unknown): Path | undefined {
  if (typeof v !== 'string' || v.length > 1000) return undefined;
  try {
    const p = JSON.parse(v) as unknown;
    return Array.isArray(p) && p.length <= 64 && p.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isInteger(x) && x >= 0)) ? (p as Path) : undefined;
  } catch {
    return undefined;
  }
}

/** The user went back: the screen before, with what was entered there. */
export function goBack(doc: FlowDoc, state: FlowState): ShownScreen | undefined {
  const prev = state.stack.at(-1);
  const screen = prev && screenOf(doc, prev.screen);
  if (!prev || !screen) return undefined;
  return openScreen({ screen: prev.screen, data: prev.data, forms: state.forms, stack: state.stack.slice(0, -1) }, screen);
}

/**
 * A tap on the component at `actionField` (a Footer, EmbeddedLink or an OptIn's "read more"), with
 * the screen's fields as posted; undefined when the page named no such component.
 */
export function runAction(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, actionField: unknown, flowToken: string): LocalOutcome | undefined;
/** With dataExchange, a data_exchange action is handed back (kind "exchange") for the caller to ask the endpoint. */
export function runAction(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, actionField: unknown, flowToken: string, opts: { dataExchange: true }): Outcome | undefined;
export function runAction(
  doc: FlowDoc,
  state: FlowState,
  screen: ScreenDef,
  values: Values,
  actionField: unknown,
  flowToken: string,
  opts: { dataExchange?: boolean } = {},
): Outcome | undefined {
  const path = pathOf(actionField);
  if (path && path.at(-2) === 'list-items') return runNavItem(doc, state, screen, values, path, flowToken, opts);
  const c = path && componentAt(screen.layout.children, path);
  const action = c?.['on-click-action'];
  if (!c || !isObj(action) || !['Footer', 'EmbeddedLink', 'OptIn'].includes(String(c.type))) return undefined;
  const name = String(action.name);
  // WhatsApp keeps a Footer disabled until the screen's required fields are right; a flow completes only so.
  const validate = c.type === 'Footer' || name === 'complete';
  // Files can be picked where data_exchange runs (the sandbox phone), not in a preview.
  const built = buildScreen(screen, scopeOf(state, values), values, validate, { uploads: opts.dataExchange === true });
  const here = (notice?: string, status = 200, error?: string): Outcome => ({ kind: 'show', status, shown: { state, screen, built, ...(notice ? { notice } : {}), ...(error ? { error } : {}) } });
  if (c.type === 'Footer' && c.enabled === false) return here('This button is disabled.');
  if (validate && built.problems > 0) return here(undefined, 400, built.problems === 1 ? 'One field needs your attention.' : `${built.problems} fields need your attention.`);
  return perform(doc, state, screen, values, built, action, flowToken, opts, here);
}

/**
 * A tap on an item of a NavigationList (Flow JSON 6.2+): the item's own on-click-action, or the
 * list's; navigate or data_exchange, as WhatsApp allows there. The path is the list's, then
 * "list-items" and the item's index; undefined when the page named no such item (or one not shown).
 */
function runNavItem(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, path: Path, flowToken: string, opts: { dataExchange?: boolean }): Outcome | undefined {
  const index = path.at(-1);
  const list = componentAt(screen.layout.children, path.slice(0, -2));
  if (!list || list.type !== 'NavigationList' || typeof index !== 'number') return undefined;
  const built = buildScreen(screen, scopeOf(state, values), values, false);
  const key = JSON.stringify(path);
  if (!built.nodes.some((n) => n.kind === 'navlist' && n.items.some((i) => i.action === key))) return undefined;
  const item = navItemsOf(list, scopeOf(state, values))[index];
  const action = item && isObj(item['on-click-action']) ? item['on-click-action'] : list['on-click-action'];
  if (!isObj(action)) return undefined;
  const here = (notice?: string): Outcome => ({ kind: 'show', status: 200, shown: { state, screen, built, ...(notice ? { notice } : {}) } });
  const name = String(action.name);
  if (name !== 'navigate' && name !== 'data_exchange') return here(`A NavigationList item runs navigate or data_exchange; this one's action is “${name.slice(0, 50)}”, which WhatsApp does not run there.`);
  return perform(doc, state, screen, values, built, action, flowToken, opts, here);
}

/** What `${form.x}` gives from here on (the visible fields only, dates as the flow's version has them), and the fields' values as entered. */
function enteredOf(doc: FlowDoc, built: BuiltScreen): { entered: Values; given: Values } {
  const entered: Values = {};
  const given: Values = {};
  for (const [k, f] of built.fields) {
    if (f.value === undefined) continue;
    entered[k] = f.value;
    given[k] = formValue(f.c, f.value, doc.version);
  }
  return { entered, given };
}

const PICKER_REF = /^\s*\$\{\s*(?:form\.([A-Za-z0-9_]+)|screen\.([A-Za-z0-9_]+)\.form\.([A-Za-z0-9_]+))\s*\}\s*$/;

/**
 * The top-level payload properties whose value is a picker's (`${form.photo}` of this screen, or
 * `${screen.S.form.photo}` of another: Meta takes a picker's value nowhere else), with the files.
 */
function pickedMedia(doc: FlowDoc, screen: ScreenDef, raw: unknown, resolved: unknown): Record<string, PickedFile[]> | undefined {
  if (!isObj(raw) || !isObj(resolved)) return undefined;
  let out: Record<string, PickedFile[]> | undefined;
  for (const [k, v] of Object.entries(raw)) {
    const m = typeof v === 'string' ? PICKER_REF.exec(v) : null;
    if (!m) continue;
    const where = m[1] !== undefined ? screen : screenOf(doc, m[2]!);
    const name = m[1] ?? m[3]!;
    if (!where || !allFields(where.layout.children).some((f) => f.name === name && (f.type === 'PhotoPicker' || f.type === 'DocumentPicker'))) continue;
    const files = resolved[k];
    (out ??= {})[k] = Array.isArray(files) ? files.filter(isPickedFile) : [];
  }
  return out;
}

/** Runs an action of the screen (its payload resolved with the fields as posted). */
function perform(
  doc: FlowDoc,
  state: FlowState,
  screen: ScreenDef,
  values: Values,
  built: BuiltScreen,
  action: Values,
  flowToken: string,
  opts: { dataExchange?: boolean },
  here: (notice?: string) => Outcome,
): Outcome {
  const name = String(action.name);
  const { entered, given } = enteredOf(doc, built);
  const payload = resolve(action.payload ?? {}, scopeOf(state, given));
  switch (name) {
    case 'navigate': {
      const next = isObj(action.next) && typeof action.next.name === 'string' ? screenOf(doc, action.next.name) : undefined;
      if (!next) return here('This button goes to a screen the flow does not have.');
      const forms = { ...state.forms, [state.screen]: entered };
      const stack = [...state.stack, { screen: state.screen, data: state.data }].slice(-MAX_STACK);
      return { kind: 'show', status: 200, shown: openScreen({ screen: next.id, data: isObj(payload) ? payload : {}, forms, stack }, next) };
    }
    case 'complete': {
      const body = isObj(payload) ? payload : {};
      const media = pickedMedia(doc, screen, action.payload, payload);
      if (media) for (const k of Object.keys(media)) body[k] = media[k];
      return { kind: 'complete', responseJson: JSON.stringify({ flow_token: flowToken, ...body }), ...(media ? { payload: body, media } : {}) };
    }
    case 'update_data': {
      // Meta's update_data: the payload's keys replace the screen's data values, and every expression is evaluated again.
      const data = { ...state.data, ...(isObj(payload) ? payload : {}) };
      const next = { ...state, data };
      return { kind: 'show', status: 200, shown: { state: next, screen, built: buildScreen(screen, scopeOf(next, values), values, false) } };
    }
    case 'data_exchange':
      if (!opts.dataExchange) return here(DATA_ENDPOINT_NOTICE);
      const media = pickedMedia(doc, screen, action.payload, payload);
      const data = isObj(payload) ? payload : {};
      if (media) for (const k of Object.keys(media)) data[k] = media[k];
      return { kind: 'exchange', data, entered, here: { state, screen, built }, ...(media ? { media } : {}) };
    case 'open_url': {
      const url = typeof action.url === 'string' ? action.url : '';
      return here(`This opens ${url.slice(0, 300) || 'a web page'} outside WhatsApp: the sandbox phone does not follow links.`);
    }
    default:
      return here(`The action “${name.slice(0, 50)}” is not simulated by the sandbox phone.`);
  }
}

/** The actions an input's on-select-action and on-unselect-action may run (Flow JSON 6.0+). */
const SELECT_ACTIONS: Record<'on-select-action' | 'on-unselect-action', string[]> = {
  'on-select-action': ['data_exchange', 'update_data'],
  'on-unselect-action': ['update_data'],
};

/** Whether a field's value went from `before` to `now` by a selection (something chosen), an unselection (something let go), or not at all. */
export function selectionChange(before: unknown, now: unknown): 'select' | 'unselect' | undefined {
  const list = (v: unknown): string[] =>
    Array.isArray(v)
      ? v.map(String)
      : v === undefined || v === null || v === '' || v === false
        ? []
        : // A CalendarPicker's range: {"start-date", "end-date"}, each end a choice of its own.
          isObj(v)
          ? Object.entries(v).map(([k, x]) => `${k}=${String(x)}`)
          : [String(v)];
  const a = list(before);
  const b = list(now);
  if (b.some((x) => !a.includes(x))) return 'select';
  if (a.some((x) => !b.includes(x))) return 'unselect';
  return undefined;
}

/**
 * The user changed a field that has an on-select-action or on-unselect-action (the field at
 * `selectField`, posted by the page's script on change, or by the field's Apply button without
 * JavaScript). Its value as the screen last had it (the state's form for this screen, or the
 * screen's initial values) tells a selection from an unselection; the action then runs as WhatsApp
 * runs it: update_data replaces data values and draws the screen again, data_exchange goes to the
 * endpoint (with opts.dataExchange) with the action's payload. The screen keeps what was entered.
 * Undefined when the page named no such field (or one not shown).
 */
export function runSelect(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, selectField: unknown, flowToken: string): LocalOutcome | undefined;
export function runSelect(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, selectField: unknown, flowToken: string, opts: { dataExchange: true }): Outcome | undefined;
export function runSelect(doc: FlowDoc, state: FlowState, screen: ScreenDef, values: Values, selectField: unknown, flowToken: string, opts: { dataExchange?: boolean } = {}): Outcome | undefined {
  const path = pathOf(selectField);
  const c = path && componentAt(screen.layout.children, path);
  if (!c || !isField(c) || !hasSelectAction(c)) return undefined;
  const built = buildScreen(screen, scopeOf(state, values), values, false);
  if (built.fields.get(c.name)?.c !== c) return undefined;
  const { entered } = enteredOf(doc, built);
  // From now on the screen's values are these: the next change is told against them.
  const kept: FlowState = { ...state, forms: { ...state.forms, [state.screen]: entered } };
  const keptBuilt = buildScreen(screen, scopeOf(kept, values), values, false);
  const here = (notice?: string): Outcome => ({ kind: 'show', status: 200, shown: { state: kept, screen, built: keptBuilt, ...(notice ? { notice } : {}) } });
  const before = (state.forms[state.screen] ?? initialValues(screen, scopeOf(state, {})))[c.name];
  const change = selectionChange(before, values[c.name]);
  if (!change) return here();
  const key = change === 'select' ? 'on-select-action' : 'on-unselect-action';
  const action = c[key];
  if (!isObj(action)) return here();
  const name = String(action.name);
  if (!SELECT_ACTIONS[key].includes(name)) return here(`The ${key} of “${c.name}” is “${name.slice(0, 50)}”, which WhatsApp does not run there (it takes ${SELECT_ACTIONS[key].join(' or ')}).`);
  return perform(doc, kept, screen, values, keptBuilt, action, flowToken, opts, here);
}

/** What a data_exchange step says where no endpoint is asked (the preview page). */
export const DATA_ENDPOINT_NOTICE =
  "This step needs the flow's data endpoint (a data_exchange action goes to the business's endpoint_uri, encrypted with its public key): a preview does not call it. Send the flow to a sandbox user and open it on the sandbox phone to run it against your endpoint.";
