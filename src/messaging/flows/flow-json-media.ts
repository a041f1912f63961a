// The media upload components of a Flow JSON, PhotoPicker and DocumentPicker, checked as Meta's
// "Media upload components" reference describes them (Flow JSON 4.0 and later):
//   - label (at most 80 characters) and description (at most 300) when written out;
//   - photo-source (PhotoPicker): camera_gallery, camera or gallery;
//   - max-file-size-kb: an integer in [1, 25600] (25 MiB, the default);
//   - min-uploaded-photos / min-uploaded-documents in [0, 30], max-… in [1, 30], min not above max
//     (Meta's words: "min-uploaded-photos" cannot be greater than "max-uploaded-photos" for
//     PhotoPicker component <name>);
//   - allowed-mime-types (DocumentPicker): an array of Meta's supported document types;
//   - at most one picker per screen ("You can only have a maximum of 1 component of type PhotoPicker
//     per screen", "… of type PhotoPicker or DocumentPicker per screen" when both kinds are there);
//   - a Form's init-values gives no value to a picker;
//   - a picker's value (`${form.photo}`, or `${screen.S.form.photo}` from a later screen) goes only
//     into the payload of a complete or data_exchange action, as the whole value of a top-level
//     property: not in a navigate payload ("The PhotoPicker component's value is not allowed in the
//     payload of the navigate action"), not nested or inside other text ("The PhotoPicker can only be
//     used as the value of a top-level string property in the action payload").
// The messages are Meta's where its reference quotes them; the error names (INVALID_PROPERTY_VALUE,
// INVALID_PROPERTY_TYPE) are the ones Meta uses for such problems elsewhere, not seen for these rules.
// Unsure: whether Meta takes a dynamic reference ("${data.max}") for the numeric properties; its
// reference names them Integer and calls only the text and boolean properties dynamic, so a
// reference is refused there.
import { at, pathText as pathOf, shown, typeName, type JsonPath, type Problems } from './flow-json-problems.ts';
import { isObj } from '../validate/check.ts';

export const PICKER_TYPES = ['PhotoPicker', 'DocumentPicker'] as const;
export type PickerType = (typeof PICKER_TYPES)[number];
export const isPickerType = (t: unknown): t is PickerType => t === 'PhotoPicker' || t === 'DocumentPicker';

/** Meta: the pickers came with Flow JSON 4.0. */
export const PICKER_SINCE_MAJOR = 4;
/** max-file-size-kb: default and upper bound (25 MiB). */
export const MAX_FILE_SIZE_KB = 25_600;
/** min-/max-uploaded-…: at most 30 (the default maximum). */
export const MAX_UPLOADS = 30;
export const PHOTO_SOURCES = ['camera_gallery', 'camera', 'gallery'] as const;
/** The document types a DocumentPicker may allow (Meta's list; its default is all of them). */
export const DOCUMENT_MIME_TYPES = [
  'application/gzip',
  'application/msword',
  'application/pdf',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.oasis.opendocument.presentation',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/x-7z-compressed',
  'application/zip',
  'image/avif',
  'image/gif',
  'image/heic',
  'image/heif',
  'image/jpeg',
  'image/png',
  'image/tiff',
  'image/webp',
  'text/plain',
  'video/mp4',
  'video/mpeg',
] as const;

/** The names of a picker's count properties. */
export function countProps(type: PickerType): { min: string; max: string; noun: string } {
  return type === 'PhotoPicker'
    ? { min: 'min-uploaded-photos', max: 'max-uploaded-photos', noun: 'photos' }
    : { min: 'min-uploaded-documents', max: 'max-uploaded-documents', noun: 'documents' };
}

/** Each screen's pickers: screen id → picker name → type. */
export type ScreenPickers = Map<string, Map<string, PickerType>>;

/** The pickers of every screen, found before the screens are checked (a payload may name a picker of another screen). */
export function collectPickers(screens: unknown[], maxNesting: number): ScreenPickers {
  const out: ScreenPickers = new Map();
  const walk = (list: unknown, screenId: string, depth: number): void => {
    if (!Array.isArray(list) || depth > maxNesting) return;
    for (const c of list) {
      if (!isObj(c)) continue;
      if (isPickerType(c.type) && typeof c.name === 'string') {
        let m = out.get(screenId);
        if (!m) out.set(screenId, (m = new Map()));
        if (!m.has(c.name)) m.set(c.name, c.type);
      }
      if (c.type === 'Form') walk(c.children, screenId, depth + 1);
      if (c.type === 'If') {
        walk(c.then, screenId, depth + 1);
        walk(c.else, screenId, depth + 1);
      }
      if (c.type === 'Switch' && isObj(c.cases)) for (const k in c.cases) walk(c.cases[k], screenId, depth + 1);
    }
  };
  for (const s of screens) if (isObj(s) && typeof s.id === 'string' && isObj(s.layout)) walk(s.layout.children, s.id, 1);
  return out;
}

/** What the picker checks need of the walk. */
export interface PickerContext {
  version: string | null;
  /** The screen being walked. */
  screenId?: string;
  pickers: ScreenPickers;
  /** The pickers met so far on the screen being walked (reset per screen). */
  screenPickers: PickerType[];
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const literal = (v: unknown): v is string => typeof v === 'string' && !v.includes('${');

function checkInt(c: Record<string, unknown>, prop: string, min: number, max: number, path: JsonPath, p: Problems): number | undefined {
  const v = c[prop];
  if (v === undefined) return undefined;
  const where = at(path, prop);
  if (!isInt(v)) {
    p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(where)} to be an integer but found ${typeName(v)} ${shown(v)}`, where);
    return undefined;
  }
  if (v < min || v > max) {
    p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "${prop}" at ${pathOf(path)}: ${v} is outside the allowed range [${min}, ${max}]`, where);
    return undefined;
  }
  return v;
}

/** A PhotoPicker or DocumentPicker component (its `type` already known). */
export function checkPicker(c: Record<string, unknown>, type: PickerType, path: JsonPath, ctx: PickerContext, p: Problems): void {
  const major = ctx.version === null ? undefined : Number(ctx.version.split('.')[0]);
  if (major !== undefined && major < PICKER_SINCE_MAJOR) {
    p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "type" at ${pathOf(path)}: ${type} is supported from Flow JSON version 4.0; this flow's version is ${ctx.version}`, at(path, 'type'));
  }
  ctx.screenPickers.push(type);
  if (ctx.screenPickers.length === 2) {
    const mixed = new Set(ctx.screenPickers).size > 1;
    p.add('INVALID_PROPERTY_VALUE', mixed ? 'You can only have a maximum of 1 component of type PhotoPicker or DocumentPicker per screen.' : `You can only have a maximum of 1 component of type ${type} per screen.`, path);
  }
  if (c.name !== undefined && (typeof c.name !== 'string' || c.name === '')) p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(at(path, 'name'))} to be a non-empty string but found ${typeName(c.name)}`, at(path, 'name'));
  if (literal(c.label) && [...c.label].length > 80) p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "label" at ${pathOf(path)}: at most 80 characters (got ${[...c.label].length})`, at(path, 'label'));
  if (literal(c.description) && [...c.description].length > 300) {
    p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "description" at ${pathOf(path)}: at most 300 characters (got ${[...c.description].length})`, at(path, 'description'));
  }
  if (type === 'PhotoPicker' && c['photo-source'] !== undefined && !(PHOTO_SOURCES as readonly unknown[]).includes(c['photo-source'])) {
    p.add('INVALID_PROPERTY_VALUE', `Invalid value found for the property "photo-source" at ${pathOf(path)}: ${shown(c['photo-source'])}; it is one of ${PHOTO_SOURCES.join(', ')}`, at(path, 'photo-source'));
  }
  checkInt(c, 'max-file-size-kb', 1, MAX_FILE_SIZE_KB, path, p);
  const { min: minProp, max: maxProp } = countProps(type);
  const min = checkInt(c, minProp, 0, MAX_UPLOADS, path, p);
  const max = checkInt(c, maxProp, 1, MAX_UPLOADS, path, p);
  if ((min ?? 0) > (max ?? MAX_UPLOADS)) {
    p.add('INVALID_PROPERTY_VALUE', `"${minProp}" cannot be greater than "${maxProp}" for ${type} component ${typeof c.name === 'string' ? c.name : ''}.`, at(path, minProp));
  }
  if (type === 'DocumentPicker' && c['allowed-mime-types'] !== undefined) {
    const types = c['allowed-mime-types'];
    const where = at(path, 'allowed-mime-types');
    if (!Array.isArray(types)) p.add('INVALID_PROPERTY_TYPE', `Expected ${pathOf(where)} to be array but found ${typeName(types)}`, where);
    else if (types.length === 0) p.add('MIN_ITEMS_REQUIRED', `Property "allowed-mime-types" at ${pathOf(path)} should have at least 1 item`, where);
    else {
      for (let i = 0; i < types.length && i < 100 && !p.full; i++) {
        if (!(DOCUMENT_MIME_TYPES as readonly unknown[]).includes(types[i])) {
          p.add('INVALID_PROPERTY_VALUE', `Invalid value found in "allowed-mime-types" at ${pathOf(at(where, i))}: ${shown(types[i])} is not a supported mime type (${DOCUMENT_MIME_TYPES.join(', ')})`, at(where, i));
        }
      }
    }
  }
}

/** A Form's init-values: no value for a picker of the screen. */
export function checkFormInit(form: Record<string, unknown>, path: JsonPath, ctx: PickerContext, p: Problems): void {
  const init = form['init-values'];
  const pickers = ctx.screenId === undefined ? undefined : ctx.pickers.get(ctx.screenId);
  if (!isObj(init) || !pickers) return;
  for (const [name, type] of pickers) {
    if (Object.prototype.hasOwnProperty.call(init, name)) {
      const where = at(at(path, 'init-values'), name);
      p.add('INVALID_PROPERTY_VALUE', `Invalid value found for property at ${pathOf(where)}. "init-values" property should not contain a value for ${type} component.`, where);
    }
  }
}

const PICKER_REF = /\$\{\s*(?:form\.([A-Za-z0-9_]+)|screen\.([A-Za-z0-9_]+)\.form\.([A-Za-z0-9_]+))\s*\}/g;
const WHOLE = /^\s*\$\{[^}]*\}\s*$/;

/** The picker a string names (its type), if any: `${form.x}` on this screen, `${screen.S.form.x}` on screen S. */
function pickerIn(s: string, ctx: PickerContext): PickerType | undefined {
  for (const m of s.matchAll(PICKER_REF)) {
    const screen = m[1] !== undefined ? ctx.screenId : m[2];
    const name = m[1] ?? m[3]!;
    const type = screen === undefined ? undefined : ctx.pickers.get(screen)?.get(name);
    if (type) return type;
  }
  return undefined;
}

/** A picker's value anywhere within v (nested objects and arrays, bounded). */
function pickerWithin(v: unknown, ctx: PickerContext, depth: number): PickerType | undefined {
  if (typeof v === 'string') return v.includes('${') ? pickerIn(v, ctx) : undefined;
  if (depth > 16 || v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const t = pickerWithin(x, ctx, depth + 1);
      if (t) return t;
    }
    return undefined;
  }
  for (const k in v as Record<string, unknown>) {
    const t = pickerWithin((v as Record<string, unknown>)[k], ctx, depth + 1);
    if (t) return t;
  }
  return undefined;
}

/** Where an action's payload uses a picker's value: only as a whole top-level value of complete or data_exchange. */
export function checkPickerPayload(action: Record<string, unknown>, name: string, path: JsonPath, ctx: PickerContext, p: Problems): void {
  if (ctx.pickers.size === 0 || !isObj(action.payload)) return;
  const payload = action.payload;
  const payloadPath = at(path, 'payload');
  for (const k in payload) {
    if (p.full) return;
    const v = payload[k];
    const type = pickerWithin(v, ctx, 0);
    if (!type) continue;
    const where = at(payloadPath, k);
    if (name === 'navigate') p.add('INVALID_PROPERTY_VALUE', `The ${type} component's value is not allowed in the payload of the navigate action (at ${pathOf(where)}).`, where);
    else if (name !== 'complete' && name !== 'data_exchange') {
      p.add('INVALID_PROPERTY_VALUE', `The ${type} component's value can only be used in the payload of a complete or data_exchange action, not ${name} (at ${pathOf(where)}).`, where);
    } else if (!(typeof v === 'string' && WHOLE.test(v))) {
      p.add('INVALID_PROPERTY_VALUE', `The ${type} can only be used as the value of a top-level string property in the action payload (at ${pathOf(where)}).`, where);
    }
  }
}
