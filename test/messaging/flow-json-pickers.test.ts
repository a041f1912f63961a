// The Flow JSON check of the media upload components, PhotoPicker and DocumentPicker, as Meta's
// "Media upload components" reference states their rules: each rule broken on its own gets its own
// error (Meta's words where the reference quotes them), pointing at the property; a flow that uses
// both pickers as Meta allows (a top-level payload value of complete or data_exchange, also from a
// later screen through ${screen.S.form.x}) has no error.
import { describe, expect, it } from 'vitest';
import { checkFlowJson } from '../../src/messaging/flows/flow-json.ts';

type Json = Record<string, unknown>;
const footer = (action: Json) => ({ type: 'Footer', label: 'Send', 'on-click-action': action });
const screen = (id: string, children: unknown[], extra: Json = {}) => ({ id, title: id, layout: { type: 'SingleColumnLayout', children }, ...extra });
const photo = (extra: Json = {}) => ({ type: 'PhotoPicker', name: 'photo', label: 'Photos', ...extra });
const doc = (extra: Json = {}) => ({ type: 'DocumentPicker', name: 'doc', label: 'Documents', ...extra });
const complete = (payload: Json = {}) => ({ name: 'complete', payload });
/** One terminal screen A with these components and a Footer completing with `payload`. */
const oneScreen = (children: unknown[], payload: Json = {}, version = '7.0') => ({ version, screens: [screen('A', [...children, footer(complete(payload))], { terminal: true })] });
const errorsOf = (d: unknown) => checkFlowJson(Buffer.from(JSON.stringify(d))).errors;
const messages = (d: unknown) => errorsOf(d).map((e) => e.message);
const paths = (d: unknown) => errorsOf(d).map((e) => e.pointers?.[0]?.path);

describe('Flow JSON check: PhotoPicker and DocumentPicker', () => {
  it('both pickers as Meta documents them: no error (complete on a later screen, data_exchange, every property in range)', () => {
    const flow = {
      version: '7.0',
      data_api_version: '3.0',
      routing_model: { PHOTOS: ['DOCS'], DOCS: [] },
      screens: [
        screen('PHOTOS', [
          photo({ description: 'Up to 3', 'photo-source': 'camera', 'max-file-size-kb': 25600, 'min-uploaded-photos': 0, 'max-uploaded-photos': 3 }),
          { type: 'EmbeddedLink', text: 'Check', 'on-click-action': { name: 'data_exchange', payload: { media: '${form.photo}', note: 'x' } } },
          footer({ name: 'navigate', next: { type: 'screen', name: 'DOCS' }, payload: {} }),
        ]),
        screen(
          'DOCS',
          [
            { type: 'Form', name: 'f', 'init-values': { other: 'x' }, children: [doc({ 'allowed-mime-types': ['application/pdf', 'image/jpeg'], 'min-uploaded-documents': 1, 'max-uploaded-documents': 1, 'max-file-size-kb': 1 }), { type: 'TextInput', name: 'other', label: 'Other' }] },
            footer(complete({ photos: '${screen.PHOTOS.form.photo}', docs: '${form.doc}' })),
          ],
          { terminal: true },
        ),
      ],
    };
    expect(errorsOf(flow)).toEqual([]);
  });

  it('name and label are required', () => {
    const errors = errorsOf(oneScreen([{ type: 'PhotoPicker', name: 'p' }, { type: 'TextBody', text: 'x' }]));
    expect(errors.map((e) => [e.error, e.message])).toEqual([['MISSING_REQUIRED_TYPE_PROPERTY', 'Required property "label" is missing at screens[0].layout.children[0] (PhotoPicker)']]);
    expect(messages(oneScreen([{ type: 'DocumentPicker', label: 'D' }]))).toEqual(['Required property "name" is missing at screens[0].layout.children[0] (DocumentPicker)']);
  });

  it('from Flow JSON version 4.0 only', () => {
    expect(messages(oneScreen([photo()], {}, '3.1'))).toEqual(['Invalid value found for the property "type" at screens[0].layout.children[0]: PhotoPicker is supported from Flow JSON version 4.0; this flow\'s version is 3.1']);
    expect(errorsOf(oneScreen([photo()], {}, '4.0'))).toEqual([]);
  });

  it('counts in [0, 30] and [1, 30], min not above max (Meta’s message), max-file-size-kb in [1, 25600], integers', () => {
    expect(messages(oneScreen([photo({ 'min-uploaded-photos': 31 })]))).toEqual(['Invalid value found for the property "min-uploaded-photos" at screens[0].layout.children[0]: 31 is outside the allowed range [0, 30]']);
    expect(messages(oneScreen([doc({ 'max-uploaded-documents': 0 })]))).toEqual(['Invalid value found for the property "max-uploaded-documents" at screens[0].layout.children[0]: 0 is outside the allowed range [1, 30]']);
    expect(messages(oneScreen([photo({ 'min-uploaded-photos': 3, 'max-uploaded-photos': 2 })]))).toEqual(['"min-uploaded-photos" cannot be greater than "max-uploaded-photos" for PhotoPicker component photo.']);
    expect(messages(oneScreen([doc({ 'min-uploaded-documents': 4, 'max-uploaded-documents': 3 })]))).toEqual(['"min-uploaded-documents" cannot be greater than "max-uploaded-documents" for DocumentPicker component doc.']);
    expect(paths(oneScreen([photo({ 'max-file-size-kb': 0 })]))).toEqual(['screens[0].layout.children[0].max-file-size-kb']);
    expect(messages(oneScreen([photo({ 'max-file-size-kb': 25601 })]))).toEqual(['Invalid value found for the property "max-file-size-kb" at screens[0].layout.children[0]: 25601 is outside the allowed range [1, 25600]']);
    const typed = errorsOf(oneScreen([photo({ 'max-uploaded-photos': '5' })]));
    expect(typed.map((e) => [e.error, e.pointers?.[0]?.path])).toEqual([['INVALID_PROPERTY_TYPE', 'screens[0].layout.children[0].max-uploaded-photos']]);
  });

  it('photo-source is camera_gallery, camera or gallery; allowed-mime-types are Meta’s document types; label and description lengths', () => {
    expect(messages(oneScreen([photo({ 'photo-source': 'files' })]))).toEqual(['Invalid value found for the property "photo-source" at screens[0].layout.children[0]: "files"; it is one of camera_gallery, camera, gallery']);
    const mime = errorsOf(oneScreen([doc({ 'allowed-mime-types': ['application/pdf', 'application/x-msdownload'] })]));
    expect(mime.map((e) => e.pointers?.[0]?.path)).toEqual(['screens[0].layout.children[0].allowed-mime-types[1]']);
    expect(mime[0]!.message).toMatch(/^Invalid value found in "allowed-mime-types" at screens\[0\]\.layout\.children\[0\]\.allowed-mime-types\[1\]: "application\/x-msdownload" is not a supported mime type/);
    expect(errorsOf(oneScreen([doc({ 'allowed-mime-types': [] })])).map((e) => e.error)).toEqual(['MIN_ITEMS_REQUIRED']);
    expect(errorsOf(oneScreen([doc({ 'allowed-mime-types': 'application/pdf' })])).map((e) => e.error)).toEqual(['INVALID_PROPERTY_TYPE']);
    expect(paths(oneScreen([photo({ label: 'x'.repeat(81) })]))).toEqual(['screens[0].layout.children[0].label']);
    expect(paths(oneScreen([photo({ description: 'x'.repeat(301) })]))).toEqual(['screens[0].layout.children[0].description']);
    // A dynamic label is not measured (its value comes later).
    expect(errorsOf(oneScreen([photo({ label: '${data.label}' })]))).toEqual([]);
  });

  it('at most one picker per screen, in Meta’s words for one kind and for both', () => {
    expect(messages(oneScreen([photo(), photo({ name: 'photo2' })]))).toEqual(['You can only have a maximum of 1 component of type PhotoPicker per screen.']);
    expect(messages(oneScreen([photo(), { type: 'Form', name: 'f', children: [doc()] }]))).toEqual(['You can only have a maximum of 1 component of type PhotoPicker or DocumentPicker per screen.']);
    // One on each of two screens is fine.
    const two = { version: '7.0', screens: [screen('A', [photo(), footer({ name: 'navigate', next: { type: 'screen', name: 'B' }, payload: {} })]), screen('B', [doc(), footer(complete())], { terminal: true })] };
    expect(errorsOf(two)).toEqual([]);
  });

  it('a Form’s init-values gives a picker no value', () => {
    const errors = errorsOf(oneScreen([{ type: 'Form', name: 'f', 'init-values': { photo: [] }, children: [photo()] }]));
    expect(errors.map((e) => [e.message, e.pointers?.[0]?.path])).toEqual([
      ['Invalid value found for property at screens[0].layout.children[0].init-values.photo. "init-values" property should not contain a value for PhotoPicker component.', 'screens[0].layout.children[0].init-values.photo'],
    ]);
  });

  it('a picker’s value only as a whole top-level value of a complete or data_exchange payload', () => {
    // navigate: not at all (Meta: use global referencing on the later screen).
    const nav = { version: '7.0', screens: [screen('A', [photo(), footer({ name: 'navigate', next: { type: 'screen', name: 'B' }, payload: { p: '${form.photo}' } })]), screen('B', [footer(complete())], { terminal: true })] };
    expect(messages(nav)).toEqual(["The PhotoPicker component's value is not allowed in the payload of the navigate action (at screens[0].layout.children[1].on-click-action.payload.p)."]);
    // Nested in an object, in an array, or inside other text: not top-level.
    expect(messages(oneScreen([doc()], { media: { document: '${form.doc}' } }))).toEqual(['The DocumentPicker can only be used as the value of a top-level string property in the action payload (at screens[0].layout.children[1].on-click-action.payload.media).']);
    expect(paths(oneScreen([doc()], { media: ['${form.doc}'] }))).toEqual(['screens[0].layout.children[1].on-click-action.payload.media']);
    expect(paths(oneScreen([photo()], { media: 'files: ${form.photo}' }))).toEqual(['screens[0].layout.children[1].on-click-action.payload.media']);
    // update_data cannot carry it either.
    const update = oneScreen([photo(), { type: 'EmbeddedLink', text: 'x', 'on-click-action': { name: 'update_data', payload: { p: '${form.photo}' } } }]);
    expect(messages(update)).toEqual(["The PhotoPicker component's value can only be used in the payload of a complete or data_exchange action, not update_data (at screens[0].layout.children[1].on-click-action.payload.p)."]);
    // A global reference to another screen's picker is judged the same way.
    const global = { version: '7.0', screens: [screen('A', [photo(), footer({ name: 'navigate', next: { type: 'screen', name: 'B' }, payload: {} })]), screen('B', [footer(complete({ all: { p: '${screen.A.form.photo}' } }))], { terminal: true })] };
    expect(paths(global)).toEqual(['screens[1].layout.children[0].on-click-action.payload.all']);
    // A field that is no picker is not concerned.
    expect(errorsOf(oneScreen([photo(), { type: 'TextInput', name: 'n', label: 'N' }], { nested: { n: '${form.n}' } }))).toEqual([]);
  });
});
