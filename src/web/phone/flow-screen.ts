// One screen of a WhatsApp Flow as the sandbox phone draws it: the screen's components (Flow JSON
// `layout.children`) turned into plain view nodes for the eta view (which escapes every text), with
// references resolved, If and Switch decided, Forms unwrapped, and the fields' values and problems.
// Actions are not run here: a button names its component by its path in the layout, and the route
// finds the action there (flow-run.ts).
import { condition, flag, resolve, text, type Scope, type Values } from './flow-expr.ts';
import { navListNode, type NavItem } from './flow-navlist.ts';
import { calendarGivenError, calendarNode, type CalendarNode } from './flow-calendar-node.ts';
import { postedCalendar } from './flow-calendar.ts';
import { carouselNode, type CarouselNode } from './flow-carousel.ts';
import { pickerGivenError, pickerNode, type PickerNode } from './flow-picker.ts';
import { fieldProblem, hasSelectAction, initialValue, isField, optionsOf, patternProblem, postedValue, type Component, type FieldType, type Option } from './flow-fields.ts';

/** A component's place in the layout: indexes and the keys then / else / children / cases.<key>. */
export type Path = (string | number)[];

interface FieldBase {
  /** The HTML id of the control; its form name is `f.<name>`. */
  id: string;
  name: string;
  label: string;
  required: boolean;
  disabled: boolean;
  helper?: string;
  error?: string;
  /** The field runs an on-select-action / on-unselect-action: its path, posted as `_select` when it changes. */
  select?: string;
}

export type FlowNode =
  | { kind: 'text'; style: 'heading' | 'subheading' | 'body' | 'caption'; text: string }
  | (FieldBase & { kind: 'input'; multiline: boolean; inputType: string; value: string; maxLength?: number })
  | (FieldBase & { kind: 'date'; value: string; min?: string; max?: string })
  | (FieldBase & CalendarNode)
  | (FieldBase & { kind: 'choice'; control: 'dropdown' | 'radio' | 'checkbox'; options: Option[]; selected: string[] })
  | (FieldBase & { kind: 'optin'; checked: boolean; more?: string })
  | (FieldBase & PickerNode)
  | { kind: 'link'; text: string; action: string }
  | { kind: 'footer'; label: string; action: string; disabled: boolean; caption?: string }
  | { kind: 'image'; alt: string }
  | CarouselNode
  | { kind: 'navlist'; label?: string; description?: string; items: NavItem[] }
  | { kind: 'notice'; text: string };

export interface ScreenDef {
  id: string;
  title?: string;
  terminal?: boolean;
  /** Back from this screen asks the flow's endpoint (a BACK request) for the screen before. */
  refresh_on_back?: boolean;
  layout: { children: unknown[] };
  data?: Values;
}

export interface FlowDoc {
  version: string;
  screens: ScreenDef[];
  /** data_api_version: the flow exchanges data with its endpoint. */
  dataApiVersion?: string;
  /** routing_model: the screens each screen may go to (screens of the flow, as the Flow JSON check made sure). */
  routingModel?: Record<string, string[]>;
}

/** A routing_model as the phone uses it: each screen's list of screen ids (anything else left out). */
function routingModelOf(v: unknown): Record<string, string[]> | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [k, to] of Object.entries(v as Values)) if (Array.isArray(to)) out[k] = to.filter((x): x is string => typeof x === 'string');
  return out;
}

/** The Flow JSON's screens, or undefined when it is not a flow the phone can show. */
export function parseFlowDoc(text: string): FlowDoc | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object') return undefined;
  const d = doc as Values;
  if (!Array.isArray(d.screens)) return undefined;
  const screens = d.screens.filter(
    (s): s is ScreenDef => s !== null && typeof s === 'object' && typeof (s as Values).id === 'string' && Array.isArray(((s as Values).layout as Values | undefined)?.children),
  );
  const routingModel = routingModelOf(d.routing_model);
  return {
    version: typeof d.version === 'string' ? d.version : '7.0',
    screens,
    ...(typeof d.data_api_version === 'string' ? { dataApiVersion: d.data_api_version } : {}),
    ...(routingModel ? { routingModel } : {}),
  };
}

const MAX_DEPTH = 10;
const isObj = (v: unknown): v is Component => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The component at a path of the layout (what a button names), or undefined. */
export function componentAt(children: unknown[], path: Path): Component | undefined {
  let list: unknown = children;
  let c: unknown;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (typeof seg === 'number') {
      if (!Array.isArray(list)) return undefined;
      c = list[seg];
      list = undefined;
      continue;
    }
    if (!isObj(c)) return undefined;
    if (seg === 'then' || seg === 'else' || seg === 'children') list = c[seg];
    else if (seg.startsWith('cases.') && isObj(c.cases)) list = Object.prototype.hasOwnProperty.call(c.cases, seg.slice(6)) ? c.cases[seg.slice(6)] : undefined;
    else return undefined;
    c = undefined;
  }
  return isObj(c) ? c : undefined;
}

/** Every input component of the layout, in every branch (to read a posted form before any condition is decided). */
export function allFields(children: unknown[], depth = 0, out: (Component & { type: FieldType; name: string })[] = []) {
  if (depth > MAX_DEPTH) return out;
  for (const c of children) {
    if (!isObj(c)) continue;
    if (isField(c)) out.push(c);
    for (const k of ['children', 'then', 'else'] as const) if (Array.isArray(c[k])) allFields(c[k] as unknown[], depth + 1, out);
    if (c.type === 'Switch' && isObj(c.cases)) for (const k in c.cases) if (Array.isArray(c.cases[k])) allFields(c.cases[k] as unknown[], depth + 1, out);
  }
  return out;
}

export interface BuiltScreen {
  nodes: FlowNode[];
  /** The visible fields with their values (what `${form.…}` gives), by name. */
  fields: Map<string, { c: Component & { type: FieldType; name: string }; value: unknown }>;
  problems: number;
}

/**
 * The screen's nodes. `values` are the fields' values (entered, or those the screen opened with);
 * `validate` marks the problems of the visible fields. Fields of branches not shown are left out.
 */
export function buildScreen(screen: ScreenDef, scope: Scope, values: Values, validate: boolean, opts: { uploads?: boolean } = {}): BuiltScreen {
  const out: BuiltScreen = { nodes: [], fields: new Map(), problems: 0 };
  let n = 0;
  const key = (p: Path) => JSON.stringify(p);

  function field(c: Component & { type: FieldType; name: string }, path: Path): void {
    const value = values[c.name];
    if (out.fields.has(c.name)) return void out.nodes.push({ kind: 'notice', text: `A second field named “${c.name}” is left out (names are unique in a screen).` });
    out.fields.set(c.name, { c, value });
    const picker = c.type === 'PhotoPicker' || c.type === 'DocumentPicker';
    const base: FieldBase = {
      id: `ff-${n++}`,
      name: c.name,
      label: text(c.label ?? c.name, scope),
      // A picker is required by its minimum count (Meta: min-uploaded-… above 0).
      required: picker ? Number(resolve(c[c.type === 'PhotoPicker' ? 'min-uploaded-photos' : 'min-uploaded-documents'], scope) ?? 0) > 0 : flag(c.required, scope, false),
      disabled: !flag(c.enabled, scope, true),
      ...(c['helper-text'] !== undefined ? { helper: text(c['helper-text'], scope) } : {}),
      ...(hasSelectAction(c) ? { select: key(path) } : {}),
    };
    const given = c['error-message'] === undefined ? '' : c.type === 'CalendarPicker' ? calendarGivenError(c, scope) : picker ? pickerGivenError(c, value, scope) : text(c['error-message'], scope);
    // A picker's count is checked only where files can be picked (the sandbox phone, not a preview).
    const problem = validate && (!picker || opts.uploads) ? fieldProblem(c, value, scope) : undefined;
    if (problem) out.problems++;
    const error = problem ?? (given || undefined);
    if (error) base.error = error;
    switch (c.type) {
      case 'TextInput':
      case 'TextArea': {
        const max = resolve(c.type === 'TextInput' ? c['max-chars'] : c['max-length'], scope);
        const inputType = String(resolve(c['input-type'], scope) ?? 'text');
        out.nodes.push({ ...base, kind: 'input', multiline: c.type === 'TextArea', inputType, value: typeof value === 'string' ? value : '', ...(typeof max === 'number' ? { maxLength: max } : {}) });
        const unchecked = patternProblem(c, scope);
        if (unchecked) out.nodes.push({ kind: 'notice', text: unchecked });
        return;
      }
      case 'DatePicker': {
        const min = resolve(c['min-date'], scope);
        const max = resolve(c['max-date'], scope);
        out.nodes.push({ ...base, kind: 'date', value: typeof value === 'string' ? value : '', ...(typeof min === 'string' ? { min } : {}), ...(typeof max === 'string' ? { max } : {}) });
        return;
      }
      case 'CalendarPicker':
        return void out.nodes.push({ ...base, ...calendarNode(c, value, scope, base.id) });
      case 'PhotoPicker':
      case 'DocumentPicker':
        return void out.nodes.push({ ...base, ...pickerNode(c as Component & { type: 'PhotoPicker' | 'DocumentPicker'; name: string }, value, scope, !base.disabled) });
      case 'OptIn': {
        const more = isObj(c['on-click-action']) ? key(path) : undefined;
        out.nodes.push({ ...base, kind: 'optin', checked: value === true, ...(more ? { more } : {}) });
        return;
      }
      default: {
        const control = c.type === 'Dropdown' ? 'dropdown' : c.type === 'RadioButtonsGroup' ? 'radio' : 'checkbox';
        const selected = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
        out.nodes.push({ ...base, kind: 'choice', control, options: optionsOf(c, scope), selected });
      }
    }
  }

  function walk(list: unknown[], at: Path, depth: number): void {
    if (depth > MAX_DEPTH) return void out.nodes.push({ kind: 'notice', text: 'Components nested this deep are not shown.' });
    list.forEach((c, i) => {
      if (!isObj(c)) return;
      const path = [...at, i];
      if (!flag(c.visible, scope, true)) return;
      const type = typeof c.type === 'string' ? c.type : '';
      switch (type) {
        case 'TextHeading':
        case 'TextSubheading':
        case 'TextBody':
        case 'TextCaption':
        case 'RichText': {
          const style = type === 'TextHeading' ? 'heading' : type === 'TextSubheading' ? 'subheading' : type === 'TextCaption' ? 'caption' : 'body';
          const t = Array.isArray(c.text) ? c.text.map((x) => text(x, scope)).join('\n') : text(c.text, scope);
          return void out.nodes.push({ kind: 'text', style, text: t });
        }
        case 'Form':
          return Array.isArray(c.children) ? walk(c.children, [...path, 'children'], depth + 1) : undefined;
        case 'If': {
          const cond = typeof c.condition === 'string' ? condition(c.condition, scope) : ({ ok: false } as const);
          if (!cond.ok) out.nodes.push({ kind: 'notice', text: `A condition the sandbox phone cannot read (${String(c.condition).slice(0, 120)}) is taken as false.` });
          const branch = cond.ok && cond.value ? 'then' : 'else';
          return Array.isArray(c[branch]) ? walk(c[branch] as unknown[], [...path, branch], depth + 1) : undefined;
        }
        case 'Switch': {
          const v = resolve(c.value, scope);
          const cases = isObj(c.cases) ? c.cases : {};
          const k = String(v);
          const hit = v !== undefined && Object.prototype.hasOwnProperty.call(cases, k) && Array.isArray(cases[k]);
          return hit ? walk(cases[k] as unknown[], [...path, `cases.${k}`], depth + 1) : undefined;
        }
        case 'Footer': {
          const caption = [c['left-caption'], c['center-caption'], c['right-caption']].filter((x) => x !== undefined).map((x) => text(x, scope)).join(' · ');
          return void out.nodes.push({ kind: 'footer', label: text(c.label, scope) || 'Continue', action: key(path), disabled: !flag(c.enabled, scope, true), ...(caption ? { caption } : {}) });
        }
        case 'EmbeddedLink':
          return void out.nodes.push({ kind: 'link', text: text(c.text, scope), action: key(path) });
        case 'Image':
          return void out.nodes.push({ kind: 'image', alt: text(c['alt-text'], scope) || 'Image' });
        case 'NavigationList':
          return void out.nodes.push(navListNode(c, path, scope));
        case 'ImageCarousel': {
          const node = carouselNode(c, scope);
          out.nodes.push(node);
          for (const notice of node.notices) out.nodes.push({ kind: 'notice', text: notice });
          return;
        }
        default:
          if (isField(c)) return field(c, path);
          return void out.nodes.push({ kind: 'notice', text: `A ${type || 'component'} is not simulated by the sandbox phone.` });
      }
    });
  }

  walk(screen.layout.children, [], 0);
  return out;
}

/** The values the posted form gives the screen's fields (every branch), by name. */
export function postedValues(screen: ScreenDef, body: Values): Values {
  const out: Values = {};
  for (const c of allFields(screen.layout.children)) {
    if (c.name in out) continue;
    const v = postedValue(c, c.type === 'CalendarPicker' ? postedCalendar(c.name, body) : body[`f.${c.name}`]);
    if (v !== undefined) out[c.name] = v;
  }
  return out;
}

/** The values a screen opens with: each field's init-value (or its Form's init-values). */
export function initialValues(screen: ScreenDef, scope: Scope, children: unknown[] = screen.layout.children, formInit?: Values, depth = 0, out: Values = {}): Values {
  if (depth > MAX_DEPTH) return out;
  for (const c of children) {
    if (!isObj(c)) continue;
    if (isField(c) && !(c.name in out)) {
      const v = initialValue(c, formInit, scope);
      if (v !== undefined) out[c.name] = v;
    }
    const init = c.type === 'Form' ? resolve(c['init-values'], scope) : undefined;
    const nextInit = isObj(init) ? init : formInit;
    for (const k of ['children', 'then', 'else'] as const) if (Array.isArray(c[k])) initialValues(screen, scope, c[k] as unknown[], nextInit, depth + 1, out);
    if (c.type === 'Switch' && isObj(c.cases)) for (const k in c.cases) if (Array.isArray(c.cases[k])) initialValues(screen, scope, c.cases[k] as unknown[], nextInit, depth + 1, out);
  }
  return out;
}
