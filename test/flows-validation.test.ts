// The Flow JSON check, closer to Meta's validator: each rule on its own (a flow that breaks only
// that rule gets only that error, with Meta's shape: error, error_type, message, line and column,
// and a pointer to the JSON path), a realistic flow that breaks none, and the bounds that keep a
// 10 MB hostile file cheap. Then, on both databases, what the rules mean for a partner: the
// upload answers 200 with the errors, publication is refused (#139002) until they are fixed; and a
// flow message naming a flow the WABA does not have is refused (#131009) on both APIs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { checkFlowJson, FLOW_JSON_VERSIONS, type FlowValidationError } from '../src/messaging/flows/flow-json.ts';
import { lineColumns, locatePaths } from '../src/messaging/flows/flow-json-positions.ts';
import { MAX_NESTING } from '../src/messaging/flows/flow-json-components.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';

type Json = Record<string, unknown>;
const footer = (action: Json = { name: 'complete', payload: {} }) => ({ type: 'Footer', label: 'Done', 'on-click-action': action });
const screen = (id: string, children: unknown[], extra: Json = {}) => ({ id, title: id, layout: { type: 'SingleColumnLayout', children }, ...extra });
const terminal = (id: string, children: unknown[] = [footer()]) => screen(id, children, { terminal: true });
const flow = (screens: unknown[], extra: Json = {}) => ({ version: '7.0', screens, ...extra });
const check = (doc: unknown, pretty = false) => checkFlowJson(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc, null, pretty ? 2 : undefined)));
const errorsOf = (doc: unknown) => check(doc).errors;
const names = (doc: unknown) => errorsOf(doc).map((e) => e.error);
const pathsOf = (errors: FlowValidationError[]) => errors.map((e) => e.pointers?.[0]?.path);
const navigate = (to: string) => ({ name: 'navigate', next: { type: 'screen', name: to }, payload: {} });

/** A flow with an endpoint that uses most components: nothing in it is wrong. */
const REALISTIC = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { APPOINTMENT: ['DETAILS'], DETAILS: ['SUMMARY'], SUMMARY: [] },
  screens: [
    screen('APPOINTMENT', [
      {
        type: 'Form',
        name: 'appointment_form',
        children: [
          { type: 'TextHeading', text: 'Book an appointment' },
          { type: 'Dropdown', name: 'department', label: 'Department', 'data-source': '${data.department}', 'on-select-action': { name: 'data_exchange', payload: { department: '${form.department}' } } },
          { type: 'DatePicker', name: 'date', label: 'Date', 'on-select-action': { name: 'update_data', payload: { picked: true } } },
          footer({ name: 'data_exchange', payload: { department: '${form.department}', date: '${form.date}' } }),
        ],
      },
    ], { data: { department: { type: 'array', items: { type: 'object' }, __example__: [] } } }),
    screen('DETAILS', [
      { type: 'TextSubheading', text: 'About you' },
      { type: 'TextInput', name: 'name', label: 'Name', 'input-type': 'text', required: true },
      { type: 'TextArea', name: 'notes', label: 'Notes' },
      { type: 'RadioButtonsGroup', name: 'contact', label: 'Contact by', 'data-source': [{ id: 'phone', title: 'Phone' }, { id: 'email', title: 'Email' }] },
      { type: 'CheckboxGroup', name: 'topics', 'data-source': [{ id: 'a', title: 'A' }] },
      { type: 'OptIn', name: 'terms', label: 'I accept the terms', 'on-click-action': { name: 'open_url', url: 'https://example.com/terms' } },
      { type: 'If', condition: "${form.contact} == 'phone'", then: [{ type: 'TextCaption', text: 'We will call you' }], else: [{ type: 'TextBody', text: 'We will write to you' }] },
      { type: 'Switch', value: '${form.contact}', cases: { phone: [{ type: 'TextBody', text: 'By phone' }], email: [{ type: 'RichText', text: '**By email**' }] } },
      { type: 'EmbeddedLink', text: 'Skip', 'on-click-action': navigate('SUMMARY') },
      { type: 'Image', src: 'iVBORw0KGgo=', height: 100 },
      { type: 'NavigationList', name: 'more', 'list-items': [{ id: 'x', 'main-content': { title: 'Summary' }, 'on-click-action': navigate('SUMMARY') }] },
      footer(navigate('SUMMARY')),
    ]),
    terminal('SUMMARY', [{ type: 'TextBody', text: 'All set' }, footer()]),
  ],
};

describe('Flow JSON check: the rules, each on its own', () => {
  it('a realistic flow (endpoint, routing_model, Form, If, Switch, NavigationList, every action) has no errors', () => {
    expect(errorsOf(REALISTIC)).toEqual([]);
    expect(check(REALISTIC)).toMatchObject({ jsonVersion: '7.0', dataApiVersion: '3.0' });
  });

  it('version: one of the supported Flow JSON versions; an expired or unknown one is UNSUPPORTED_FLOW_JSON_VERSION', () => {
    for (const v of ['2.1', '3.1', '5.0', '6.3', '7.0']) expect(names({ ...flow([terminal('A')]), version: v }), v).toEqual([]);
    expect(FLOW_JSON_VERSIONS).toContain('7.1');
    for (const [v, why] of [['1.1', 'has expired'], ['2.0', 'has expired'], ['7.9', 'is not a Flow JSON version'], ['99.0', 'is not a Flow JSON version']]) {
      const [e, ...rest] = errorsOf({ ...flow([terminal('A')]), version: v });
      expect(rest).toEqual([]);
      expect(e).toMatchObject({ error: 'UNSUPPORTED_FLOW_JSON_VERSION', message: expect.stringContaining(`${v} ${why}`), pointers: [{ path: 'version' }] });
    }
  });

  it('screens: a non-empty array', () => {
    expect(names(flow([]))).toEqual(['MIN_ITEMS_REQUIRED']);
    expect(names({ version: '7.0' })).toEqual(['MISSING_REQUIRED_TYPE_PROPERTY']);
  });

  it('screen id: letters and underscores only', () => {
    for (const id of ['SIGN_UP', 'WELCOME', 'sign_up', '_A']) expect(names(flow([terminal(id)])), id).toEqual([]);
    for (const id of ['STEP_1', 'SIGN-UP', 'A B', 'ÄRGER']) {
      const errors = errorsOf(flow([terminal(id)]));
      expect(errors, id).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('only letters and underscores'), pointers: [expect.objectContaining({ path: 'screens[0].id' })] })]);
    }
  });

  it('screen id: SUCCESS is reserved', () => {
    const errors = errorsOf(flow([terminal('SUCCESS')]));
    expect(errors).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('SUCCESS is a reserved keyword') })]);
    expect(names(flow([terminal('SUCCESS_PAGE')]))).toEqual([]);
  });

  it('at least one terminal screen', () => {
    const errors = errorsOf(flow([screen('A', [footer(navigate('B'))]), screen('B', [footer()])]));
    expect(errors).toEqual([expect.objectContaining({ error: 'MISSING_TERMINAL_SCREEN', pointers: [expect.objectContaining({ path: 'screens' })] })]);
    expect(names(flow([screen('A', [footer()], { terminal: 'yes' })]))).toEqual(['INVALID_PROPERTY_TYPE', 'MISSING_TERMINAL_SCREEN']);
  });

  it('layout: required, of type SingleColumnLayout, with children', () => {
    expect(errorsOf(flow([{ id: 'A', terminal: true }]))).toEqual([expect.objectContaining({ error: 'MISSING_REQUIRED_TYPE_PROPERTY', message: 'Required property "layout" is missing at screens[0]' })]);
    const wrongType = errorsOf(flow([{ ...terminal('A'), layout: { type: 'TwoColumnLayout', children: [footer()] } }]));
    expect(wrongType).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('"TwoColumnLayout"; the only layout is "SingleColumnLayout"') })]);
    expect(pathsOf(wrongType)).toEqual(['screens[0].layout.type']);
    expect(names(flow([{ ...terminal('A'), layout: { children: [footer()] } }]))).toEqual(['MISSING_REQUIRED_TYPE_PROPERTY']);
    expect(names(flow([{ ...terminal('A'), layout: { type: 'SingleColumnLayout' } }]))).toEqual(['MISSING_REQUIRED_TYPE_PROPERTY']);
    expect(names(flow([{ ...terminal('A'), layout: { type: 'SingleColumnLayout', children: {} } }]))).toEqual(['INVALID_PROPERTY_TYPE']);
    expect(names(flow([{ ...terminal('A'), layout: 'SingleColumnLayout' }]))).toEqual(['INVALID_PROPERTY_TYPE']);
  });

  it('components: a known type, also inside Form, If and Switch', () => {
    const top = errorsOf(flow([terminal('A', [{ type: 'TextSubheadng', text: 'x' }, footer()])]));
    expect(top).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('"TextSubheadng" is not a component') })]);
    expect(pathsOf(top)).toEqual(['screens[0].layout.children[0].type']);
    const nested = errorsOf(
      flow([
        terminal('A', [
          { type: 'Form', name: 'f', children: [{ type: 'Input', name: 'x' }] },
          { type: 'If', condition: 'true', then: [{ type: 'Video' }], else: [{ type: 'Audio' }] },
          { type: 'Switch', value: '${data.x}', cases: { a: [{ type: 'Map' }] } },
          { text: 'no type' },
          'TextBody',
          footer(),
        ]),
      ]),
    );
    expect(pathsOf(nested)).toEqual([
      'screens[0].layout.children[0].children[0].type',
      'screens[0].layout.children[1].then[0].type',
      'screens[0].layout.children[1].else[0].type',
      'screens[0].layout.children[2].cases.a[0].type',
      'screens[0].layout.children[3]',
      'screens[0].layout.children[4]',
    ]);
    expect(nested.map((e) => e.error)).toEqual(['INVALID_PROPERTY_VALUE', 'INVALID_PROPERTY_VALUE', 'INVALID_PROPERTY_VALUE', 'INVALID_PROPERTY_VALUE', 'MISSING_REQUIRED_TYPE_PROPERTY', 'INVALID_PROPERTY_TYPE']);
  });

  it('components: the properties each type requires', () => {
    const errors = errorsOf(flow([terminal('A', [{ type: 'TextBody' }, { type: 'TextInput', label: 'Name' }, { type: 'Dropdown', name: 'd', label: 'D' }, { type: 'Footer', label: 'Done' }, footer()])]));
    expect(errors.map((e) => e.message)).toEqual([
      'Required property "text" is missing at screens[0].layout.children[0] (TextBody)',
      'Required property "name" is missing at screens[0].layout.children[1] (TextInput)',
      'Required property "data-source" is missing at screens[0].layout.children[2] (Dropdown)',
      'Required property "on-click-action" is missing at screens[0].layout.children[3] (Footer)',
    ]);
    expect(new Set(errors.map((e) => e.error))).toEqual(new Set(['MISSING_REQUIRED_TYPE_PROPERTY']));
  });

  it('a terminal screen has a Footer (one inside a Form or an If branch counts)', () => {
    const errors = errorsOf(flow([terminal('A', [{ type: 'TextBody', text: 'Bye' }])]));
    expect(errors).toEqual([expect.objectContaining({ error: 'MISSING_FOOTER', message: expect.stringContaining('Terminal screen "A" at screens[0] has no Footer'), pointers: [expect.objectContaining({ path: 'screens[0].layout' })] })]);
    expect(names(flow([terminal('A', [{ type: 'Form', name: 'f', children: [footer()] }])]))).toEqual([]);
    expect(names(flow([terminal('A', [{ type: 'If', condition: 'true', then: [footer()], else: [footer()] }])]))).toEqual([]);
    // A screen that is not terminal needs none.
    expect(names(flow([screen('A', [{ type: 'TextBody', text: 'x' }]), terminal('B')]))).toEqual([]);
  });

  it("a navigate action's next.name is a screen of the flow", () => {
    const errors = errorsOf(flow([screen('A', [footer(navigate('NOWHERE'))]), terminal('B')]));
    expect(errors).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('goes to screen "NOWHERE", which is not a screen of this flow') })]);
    expect(pathsOf(errors)).toEqual(['screens[0].layout.children[0].on-click-action.next.name']);
    // Wherever the action is: a NavigationList item, an EmbeddedLink, a selection.
    const elsewhere = errorsOf(
      flow([
        screen('A', [
          { type: 'NavigationList', name: 'n', 'list-items': [{ id: 'i', 'main-content': { title: 't' }, 'on-click-action': navigate('GONE') }] },
          { type: 'EmbeddedLink', text: 'x', 'on-click-action': { name: 'navigate' } },
          { type: 'RadioButtonsGroup', name: 'r', 'data-source': [], 'on-select-action': { name: 'navigate', next: { type: 'screen' } } },
          footer(navigate('B')),
        ]),
        terminal('B'),
      ]),
    );
    expect(pathsOf(elsewhere)).toEqual(['screens[0].layout.children[0].list-items[0].on-click-action.next.name', 'screens[0].layout.children[1].on-click-action', 'screens[0].layout.children[2].on-select-action.next']);
    expect(elsewhere.map((e) => e.error)).toEqual(['INVALID_PROPERTY_VALUE', 'MISSING_REQUIRED_TYPE_PROPERTY', 'MISSING_REQUIRED_TYPE_PROPERTY']);
  });

  it("an action's name is one of Meta's actions", () => {
    const errors = errorsOf(flow([terminal('A', [footer({ name: 'submit' })])]));
    expect(errors).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('"submit" is not an action (navigate, complete, data_exchange, update_data, open_url)') })]);
    expect(pathsOf(errors)).toEqual(['screens[0].layout.children[0].on-click-action.name']);
  });

  it('routing_model names only screens of the flow', () => {
    const errors = errorsOf({ ...REALISTIC, routing_model: { APPOINTMENT: ['DETAILS', 'LOST'], DETAILS: ['SUMMARY'], GHOST: [], SUMMARY: 'DETAILS' } });
    expect(errors.map((e) => [e.error, e.pointers?.[0]?.path])).toEqual([
      ['INVALID_PROPERTY_VALUE', 'routing_model.APPOINTMENT[1]'],
      ['INVALID_PROPERTY_VALUE', 'routing_model.GHOST'],
      ['INVALID_PROPERTY_TYPE', 'routing_model.SUMMARY'],
    ]);
    expect(names({ ...REALISTIC, routing_model: [] })).toEqual(['INVALID_PROPERTY_TYPE']);
    // Without an endpoint, a routing_model is optional, and checked when given.
    expect(names(flow([screen('A', [footer(navigate('B'))]), terminal('B')], { routing_model: { A: ['C'] } }))).toEqual(['INVALID_PROPERTY_VALUE']);
    expect(names(flow([screen('A', [footer(navigate('B'))]), terminal('B')]))).toEqual([]);
  });

  it('routing_model is required with data_api_version', () => {
    const { routing_model: _, ...withoutRoutes } = REALISTIC;
    expect(errorsOf(withoutRoutes)).toEqual([expect.objectContaining({ error: 'MISSING_REQUIRED_TYPE_PROPERTY', message: expect.stringContaining('"routing_model" is missing: a flow with data_api_version') })]);
  });

  it('data_api_version is "3.0"; a data_exchange action needs it', () => {
    expect(names({ ...REALISTIC, data_api_version: '2.0' })).toEqual(['INVALID_PROPERTY_VALUE']);
    expect(check({ ...REALISTIC, data_api_version: '2.0' }).dataApiVersion).toBeNull();
    const { data_api_version: _, routing_model: __, ...noEndpoint } = REALISTIC;
    const errors = errorsOf(noEndpoint);
    expect(errors.map((e) => [e.error, e.pointers?.[0]?.path])).toEqual([
      ['INVALID_PROPERTY_VALUE', 'screens[0].layout.children[0].children[1].on-select-action.name'],
      ['INVALID_PROPERTY_VALUE', 'screens[0].layout.children[0].children[3].on-click-action.name'],
    ]);
    expect(errors[0]!.message).toContain('a data_exchange action sends the screen\'s data to the flow\'s endpoint, and this flow has none');
  });

  it('data_channel_uri is not supported from version 3.0 (the endpoint is the flow’s endpoint_uri)', () => {
    const old = { ...flow([terminal('A')]), data_channel_uri: 'https://example.com/flow' };
    expect(names(old)).toEqual(['INVALID_PROPERTY_VALUE']);
    expect(names({ ...old, version: '2.1' })).toEqual([]);
  });
});

describe('Flow JSON check: where each error is', () => {
  it('line and column of the value, and a pointer with its path, as Meta answers', () => {
    const doc = flow([terminal('A', [{ type: 'TextSubheadng', text: 'x' }, footer()])]);
    const text = JSON.stringify(doc, null, 2);
    const [e] = check(doc, true).errors;
    const line = text.split('\n').findIndex((l) => l.includes('"TextSubheadng"')) + 1;
    const column = text.split('\n')[line - 1]!.indexOf('"TextSubheadng"') + 1;
    const position = { line_start: line, line_end: line, column_start: column, column_end: column + '"TextSubheadng"'.length - 1 };
    expect(e).toEqual({
      error: 'INVALID_PROPERTY_VALUE',
      error_type: 'FLOW_JSON_ERROR',
      message: expect.any(String),
      ...position,
      pointers: [{ ...position, path: 'screens[0].layout.children[0].type' }],
    });
  });

  it('a missing property points at the object it is missing from (its whole span)', () => {
    const text = '{\n  "version": "7.0",\n  "screens": [\n    {\n      "id": "A",\n      "terminal": true\n    }\n  ]\n}';
    const [e] = check(text).errors;
    expect(e).toMatchObject({ error: 'MISSING_REQUIRED_TYPE_PROPERTY', line_start: 4, column_start: 5, line_end: 7, column_end: 5, pointers: [{ path: 'screens[0]' }] });
  });

  it('the value JSON.parse kept: with a key given twice, the last; escaped keys are matched decoded', () => {
    const text = '{"version":"7.0","screens":[{"id":"A","terminal":true,"layout":{"type":"X","type":"Row","childr\\u0065n":[{"type":"Footer","label":"x","on-click-action":{"name":"complete"}}]}}]}';
    const [e] = check(text).errors;
    expect(e).toMatchObject({ message: expect.stringContaining('"Row"'), column_start: text.indexOf('"Row"') + 1 });
    expect(locatePaths(text, [['screens', 0, 'layout', 'children', 0, 'label'], ['screens', 0, 'nothing'], ['version']])).toEqual([
      { start: text.indexOf('"x"'), end: text.indexOf('"x"') + 3 },
      undefined,
      { start: 11, end: 16 },
    ]);
    expect(lineColumns('ab\ncd\n\nef', [0, 4, 7, 8])).toEqual(new Map([[0, { line: 1, column: 1 }], [4, { line: 2, column: 2 }], [7, { line: 4, column: 1 }], [8, { line: 4, column: 2 }]]));
  });

  it('a syntax error keeps its position, without a pointer', () => {
    expect(check('{\n  "version": "7.0",\n  "screens": [,]\n}').errors).toEqual([
      { error: 'INVALID_FLOW_JSON', error_type: 'FLOW_JSON_ERROR', message: expect.stringContaining('(line 3, column 15)'), line_start: 3, line_end: 3, column_start: 15, column_end: 15 },
    ]);
  });
});

describe('Flow JSON check: bounded on a hostile file', () => {
  it(`containers nested past ${MAX_NESTING} levels are one error, not a deep recursion`, () => {
    let nest: unknown = { type: 'TextBody', text: 'x' };
    // 40 containers: past MAX_NESTING, within the text's nesting limit (two JSON levels each).
    for (let i = 0; i < 40; i++) nest = { type: 'If', condition: 'true', then: [nest] };
    const text = `{"version":"7.0","screens":[{"id":"A","terminal":true,"layout":{"type":"SingleColumnLayout","children":[${serialize(nest)},{"type":"Footer","label":"x","on-click-action":{"name":"complete"}}]}}]}`;
    const errors = check(text).errors;
    expect(errors).toEqual([expect.objectContaining({ error: 'INVALID_PROPERTY_VALUE', message: expect.stringContaining('nest too deeply') })]);
    expect(errors[0]!.pointers![0]!.path.split('.then').length).toBe(MAX_NESTING + 1);
  });

  it('a text nested deeper than 128 levels is one syntax error with its position, found before parsing; deep values are never written out', () => {
    // 20,000 levels inside "version": JSON.parse copes, but writing the value into a message recursed past the stack (a 500).
    const deep = `{"version":${'['.repeat(20_000)}${']'.repeat(20_000)},"screens":[]}`;
    expect(check(deep).errors).toEqual([
      expect.objectContaining({ error: 'INVALID_FLOW_JSON', message: 'Flow JSON arrays and objects nest deeper than 128 levels (line 1, column 139)', line_start: 1, column_start: 139 }),
    ]);
    // Never closed: the same, without a parse of 10 MB.
    expect(check('['.repeat(10 * 1024 * 1024)).errors).toEqual([expect.objectContaining({ error: 'INVALID_FLOW_JSON', column_start: 129 })]);
    // Within the limit, a value that is an array or object is named in the message, not written out.
    const nested = check(flow([], { version: { a: [1, 2, { b: 'x'.repeat(1000) }] }, data_api_version: [[[1]]] })).errors.map((e) => e.message);
    expect(nested).toContainEqual(expect.stringContaining('(got an object)'));
    expect(nested).toContainEqual(expect.stringContaining('"data_api_version": an array of 1;'));
  });

  it('10 MB of bad components: 50 errors, the first ones, with positions, in bounded time', () => {
    const bad = '{"type":"X"}';
    const count = Math.floor((10 * 1024 * 1024 - 200) / (bad.length + 1));
    const text = `{"version":"7.0","screens":[{"id":"A","terminal":true,"layout":{"type":"SingleColumnLayout","children":[${Array(count).fill(bad).join(',')}]}}]}`;
    const started = performance.now();
    const errors = check(text).errors;
    const ms = performance.now() - started;
    expect(errors).toHaveLength(50);
    expect(pathsOf(errors)).toEqual(Array.from({ length: 50 }, (_, i) => `screens[0].layout.children[${i}].type`));
    let fiftieth = -1;
    for (let i = 0; i < 50; i++) fiftieth = text.indexOf('"X"', fiftieth + 1);
    expect(errors[49]).toMatchObject({ line_start: 1, column_start: fiftieth + 1, column_end: fiftieth + 3 });
    // JSON.parse alone takes a good part of this; the walk and the positions stop at 50 errors and one scan.
    expect(ms).toBeLessThan(8000);
  });
});

/** JSON.stringify recurses; this does not (for a nesting deeper than its stack). */
function serialize(v: unknown): string {
  let open = '';
  let close = '';
  let at = v as Json;
  while (at.type === 'If') {
    open += `{"type":"If","condition":"true","then":[`;
    close = `]}${close}`;
    at = (at.then as Json[])[0]!;
  }
  return open + JSON.stringify(at) + close;
}

describeEachDb('Flows: validation over the Partner API, and sending a flow the WABA does not have', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  const flowsPath = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`;
  const auth = (p: BootstrapResult) => ({ headers: partnerKey(p.partner_api_key) });
  let n = 0;
  const create = async (body: Json = {}) => {
    const res = await t.post(flowsPath(a), { ...auth(a), json: { name: `validated ${++n}`, categories: ['OTHER'], ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; validation_errors: FlowValidationError[] };
  };
  async function upload(id: string, file: string) {
    const fd = new FormData();
    fd.append('asset_type', 'FLOW_JSON');
    fd.append('name', 'flow.json');
    fd.append('file', new Blob([file], { type: 'application/json' }), 'flow.json');
    const res = await fetch(`${t.baseUrl}${flowsPath(a)}/${id}/assets`, { method: 'POST', body: fd, headers: partnerKey(a.partner_api_key) });
    return { status: res.status, body: (await res.json()) as { success: boolean; validation_errors: FlowValidationError[] } };
  }
  const sendFlow = (parameters: Json, path = '/messages') =>
    t.post(path, {
      headers: channelKey(a.channel_api_key),
      json: {
        ...(path === '/messages' ? { messaging_product: 'whatsapp' } : {}),
        to: '4917612345678',
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Go' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 't', flow_cta: 'Open', flow_action: 'navigate', flow_action_payload: { screen: 'A' }, ...parameters } } },
      },
    });

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
  });
  afterAll(() => t?.close());

  it('an upload answers 200 with Meta-shaped errors (positions and pointers); the flow is not published until they are fixed', async () => {
    const { id } = await create();
    const broken = JSON.stringify(flow([screen('A', [footer(navigate('NOWHERE'))]), screen('SUCCESS', [])]), null, 2);
    const up = await upload(id, broken);
    expect(up.status).toBe(200);
    expect(up.body.success).toBe(true);
    expect(up.body.validation_errors.map((e) => [e.error, e.pointers?.[0]?.path])).toEqual([
      ['INVALID_PROPERTY_VALUE', 'screens[0].layout.children[0].on-click-action.next.name'],
      ['INVALID_PROPERTY_VALUE', 'screens[1].id'],
      ['MISSING_TERMINAL_SCREEN', 'screens'],
    ]);
    for (const e of up.body.validation_errors) {
      expect(e).toEqual({ error: expect.any(String), error_type: 'FLOW_JSON_ERROR', message: expect.any(String), line_start: expect.any(Number), line_end: expect.any(Number), column_start: expect.any(Number), column_end: expect.any(Number), pointers: [expect.objectContaining({ path: expect.any(String), line_start: e.line_start, column_start: e.column_start })] });
    }
    expect(up.body.validation_errors[0]).toMatchObject({ line_start: broken.split('\n').findIndex((l) => l.includes('"NOWHERE"')) + 1 });
    // Kept on the flow, as the API reads them back.
    expect((await t.get(`${flowsPath(a)}/${id}`, auth(a))).body.validation_errors).toEqual(up.body.validation_errors);

    expectPartnerError(await t.post(`${flowsPath(a)}/${id}/publish`, auth(a)), 400, /^\(#139002\) Publishing Flow with validation errors: flow \d+ has 3 validation errors, the first: Invalid value found for the property "name"/);
    const fixed = await upload(id, JSON.stringify(flow([screen('A', [footer(navigate('DONE'))]), terminal('DONE')])));
    expect(fixed.body.validation_errors).toEqual([]);
    expect((await t.post(`${flowsPath(a)}/${id}/publish`, auth(a))).body).toEqual({ success: true });
  });

  it('created with flow_json and publish:true: stays DRAFT with its errors when a rule is broken', async () => {
    const created = await create({ flow_json: JSON.stringify(flow([terminal('A', [{ type: 'TextBody', text: 'no way out' }])])), publish: true });
    expect(created.validation_errors).toEqual([expect.objectContaining({ error: 'MISSING_FOOTER' })]);
    expect((await t.get(`${flowsPath(a)}/${created.id}`, auth(a))).body.status).toBe('DRAFT');
  });

  it('an asset that passed the check of an earlier build is checked again at publish, by today’s rules', async () => {
    const created = await create({ flow_json: JSON.stringify(flow([terminal('A')])) });
    expect(created.validation_errors).toEqual([]);
    // As an earlier build kept it: a terminal screen without a Footer, judged then to have no errors.
    await t.deps.db.kysely
      .updateTable('flows')
      .set({ flow_json: JSON.stringify(flow([terminal('A', [{ type: 'TextBody', text: 'no way out' }])])), validation_errors: '[]' })
      .where('id', '=', created.id)
      .execute();
    expectPartnerError(await t.post(`${flowsPath(a)}/${created.id}/publish`, auth(a)), 400, /^\(#139002\) Publishing Flow with validation errors: flow \d+ has 1 validation error, the first: /);
    const after = (await t.get(`${flowsPath(a)}/${created.id}`, auth(a))).body;
    expect(after.status).toBe('DRAFT');
    expect(after.validation_errors).toEqual([expect.objectContaining({ error: 'MISSING_FOOTER' })]);
  });

  it('a flow with data_api_version is not published without its endpoint_uri', async () => {
    const { id, validation_errors } = await create({ flow_json: JSON.stringify(REALISTIC) });
    expect(validation_errors).toEqual([]);
    expectPartnerError(await t.post(`${flowsPath(a)}/${id}/publish`, auth(a)), 400, '(#139002) Publishing without specifying endpoint_uri is forbidden');
  });

  it('a flow message naming a flow the WABA does not have (never made, or deleted) is refused with #131009 on both APIs', async () => {
    const published = await create({ flow_json: JSON.stringify(flow([terminal('A')])), publish: true });
    expect((await sendFlow({ flow_id: published.id })).status).toBe(200);

    const draft = await create({ name: 'to be deleted' });
    expect((await sendFlow({ flow_id: draft.id, mode: 'draft' })).status).toBe(200);
    expect((await t.delete(`${flowsPath(a)}/${draft.id}`, auth(a))).status).toBe(200);
    for (const [parameters, field] of [
      [{ flow_id: draft.id, mode: 'draft' }, 'flow_id'],
      [{ flow_name: 'to be deleted', mode: 'draft' }, 'flow_name'],
      [{ flow_id: '9999999999999999' }, 'flow_id'],
    ] as const) {
      const cloud = await sendFlow(parameters);
      expect(cloud.status).toBe(400);
      expect(Object.keys(cloud.body)).toEqual(['error']);
      expect(cloud.body.error).toEqual({
        message: '(#131009) Parameter value is not valid',
        type: 'OAuthException',
        code: 131009,
        error_data: { messaging_product: 'whatsapp', details: expect.stringMatching(new RegExp(`^interactive\\.action\\.parameters\\.${field}: no flow with`)) },
        fbtrace_id: expect.any(String),
      });
      const onprem = await sendFlow(parameters, '/v1/messages');
      expect(onprem.status).toBe(400);
      expect(onprem.body).toEqual({
        errors: [{ code: 1009, title: 'Parameter value is not valid', details: cloud.body.error.error_data.details, href: expect.any(String) }],
        meta: { api_status: 'stable', version: expect.any(String) },
      });
    }
  });
});
