// A flow's NavigationList (Flow JSON 6.2+) on the sandbox phone: its items drawn as WhatsApp lists
// them (title, description, metadata, tags, badge, the end texts; business text escaped), each a
// button running its own on-click-action, or the list's: navigate opens the next screen with the
// action's payload, data_exchange asks the flow's endpoint (a real encrypted test endpoint) and
// shows the screen it answers; what a forged page names is a 400.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { sendFlowMessage, startFlowPhone, type FlowPhone } from './phone-flow-setup.ts';
import type { FlowEndpoint, FlowRequest } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { inboundMessages, waitForInbound, type PhoneClient } from './phone-client.ts';
import { unescape, stateOf, body } from './flow-html.ts';

const WA = '4917012340081';

const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { MENU: ['PIZZA', 'DRINKS'], PIZZA: [], DRINKS: [] },
  screens: [
    {
      id: 'MENU',
      title: 'Menu',
      data: { drinks: { type: 'array', items: { type: 'object', properties: {} }, __example__: [] } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          {
            type: 'NavigationList',
            name: 'menu',
            label: 'Our menu',
            'list-items': [
              {
                id: 'margherita',
                'main-content': { title: 'Margherita <classic>', description: 'Tomato, mozzarella', metadata: '900 kcal' },
                end: { title: '€8', description: 'per pizza' },
                badge: 'New',
                tags: ['veggie', 'mild'],
                'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'PIZZA' }, payload: { pizza: 'Margherita' } },
              },
              { id: 'drinks', 'main-content': { title: 'Drinks' }, 'on-click-action': { name: 'data_exchange', payload: { section: 'drinks' } } },
              { id: 'closed', 'main-content': { title: 'Desserts', description: 'Sold out' } },
            ],
          },
          { type: 'NavigationList', name: 'more', 'list-items': '${data.drinks}', 'on-click-action': { name: 'navigate', next: { type: 'screen', name: 'PIZZA' }, payload: { pizza: 'from the data list' } } },
        ],
      },
    },
    {
      id: 'PIZZA',
      title: 'Your pizza',
      terminal: true,
      data: { pizza: { type: 'string', __example__: 'x' } },
      layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: '${data.pizza}' }, { type: 'Footer', label: 'Order', 'on-click-action': { name: 'complete', payload: { pizza: '${data.pizza}' } } }] },
    },
    {
      id: 'DRINKS',
      title: 'Drinks',
      terminal: true,
      data: { list: { type: 'string', __example__: 'x' } },
      layout: { type: 'SingleColumnLayout', children: [{ type: 'TextBody', text: '${data.list}' }, { type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] },
    },
  ],
};

/** The _action of the NavigationList item titled `title`. */
const itemOf = (html: string, title: string) => {
  const m = new RegExp(`<button type="submit" name="_action" value="([^"]*)" class="nav-item">(?:(?!</button>)[\\s\\S])*?<span class="nav-title">${title}</span>`).exec(html);
  return m ? unescape(m[1]!) : undefined;
};

describeEachDb('sandbox phone: a NavigationList', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let phone: PhoneClient;
  let messageId: string;
  let page = '';
  const path = () => `/sandbox/phone/flow/${encodeURIComponent(messageId)}`;
  const tap = (action: string, html = page) => phone.post(path(), { _state: stateOf(html), _action: action });

  let setup: FlowPhone;
  beforeAll(async () => {
    setup = await startFlowPhone(kind, {
      flow: FLOW,
      name: 'menu',
      categories: ['OTHER'],
      wa: WA,
      firstWords: 'menu',
      handler: (req: FlowRequest) =>
        req.action === 'data_exchange' && req.screen === 'MENU' ? { json: { screen: 'DRINKS', data: { list: `Drinks for ${String(req.data?.section)}: cola, water` } } } : { status: 400, body: 'unexpected' },
    });
    ({ t, p, receiver, endpoint, phone } = setup);
    messageId = await sendFlowMessage(setup, { to: WA, token: 'NAV-1', text: 'Menu', cta: 'Menu', screen: 'MENU', data: { drinks: [{ id: 'lemonade', 'main-content': { title: 'Lemonade' } }] } });
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('draws the items with their texts, escaped; an item without an action is no button', async () => {
    const res = await phone.get(path());
    expect(res.status).toBe(200);
    page = res.text;
    expect(page).not.toContain('is not simulated by the sandbox phone');
    expect(page).toContain('<h3 class="flow-subheading">Our menu</h3>');
    expect(page).toContain('<span class="nav-title">Margherita &lt;classic&gt;</span>');
    expect(page).not.toContain('<classic>');
    expect(page).toContain('<span class="nav-desc muted">Tomato, mozzarella</span>');
    expect(page).toContain('<span class="nav-meta muted">900 kcal</span>');
    expect(page).toContain('<span class="nav-tag">veggie</span><span class="nav-tag">mild</span>');
    expect(page).toContain('<span class="nav-badge">New</span>');
    expect(page).toContain('<span class="muted">€8 · per pizza</span>');
    expect(itemOf(page, 'Margherita &lt;classic&gt;')).toBeDefined();
    expect(itemOf(page, 'Drinks')).toBeDefined();
    expect(itemOf(page, 'Desserts')).toBeUndefined();
    expect(page).toContain('<div class="nav-item">');
    // A list from the screen's data, its items running the list's own on-click-action.
    expect(itemOf(page, 'Lemonade')).toBeDefined();
  });

  it("an item's navigate opens its screen with the payload; the list's own action runs for an item without one", async () => {
    const res = await tap(itemOf(page, 'Margherita &lt;classic&gt;')!);
    expect(res.status).toBe(200);
    expect(body(res.text)).toBe('Margherita');
    const fromList = await tap(itemOf(page, 'Lemonade')!);
    expect(body(fromList.text)).toBe('from the data list');
  });

  it("an item's data_exchange asks the endpoint with the item's payload and shows the screen it answers", async () => {
    const before = endpoint.requests.length;
    const res = await tap(itemOf(page, 'Drinks')!);
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(endpoint.requests.length).toBe(before + 1);
    expect(endpoint.requests.at(-1)!.decrypted).toEqual({ version: '3.0', action: 'data_exchange', screen: 'MENU', data: { section: 'drinks' }, flow_token: 'NAV-1' });
    expect(body(res.text)).toBe('Drinks for drinks: cola, water');
  });

  it('an item without an action, or a forged one (out of range, of no list), is a 400 and sends nothing; the same page then goes on', async () => {
    const before = inboundMessages(receiver).length;
    const requests = endpoint.requests.length;
    for (const forged of ['[0,"list-items",2]', '[0,"list-items",9]', '[0,"list-items","x"]', '[5,"list-items",0]', '["list-items",0]']) {
      const res = await tap(forged);
      expect(res.status, forged).toBe(400);
    }
    expect(endpoint.requests.length).toBe(requests);
    expect(inboundMessages(receiver).length).toBe(before);
    expect(body((await tap(itemOf(page, 'Margherita &lt;classic&gt;')!)).text)).toBe('Margherita');
  });
});
