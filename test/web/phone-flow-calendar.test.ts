// A developer's booking flow uses a CalendarPicker (Flow JSON 6.1+): one day in single mode (a
// weekday in March, not a closed day the endpoint names), a stay in range mode (2 to 7 days, with
// per-end labels, helper texts and required). The sandbox phone draws date inputs, states the
// limits a date input cannot show, checks every limit when the Footer is tapped as WhatsApp does
// (a 400 page naming the field, never a 5xx, also for a forged form), sends the range's
// on-select-action to the flow's endpoint with {"start-date","end-date"}, and completes the flow
// with the values WhatsApp gives: "YYYY-MM-DD" and {"start-date": …, "end-date": …}.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import type { Receiver } from '../helpers/receiver.ts';
import { sendFlowMessage, startFlowPhone, type FlowPhone } from './phone-flow-setup.ts';
import type { FlowEndpoint, FlowRequest } from '../helpers/flow-endpoint.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { inboundMessages, waitForInbound, type PhoneClient } from './phone-client.ts';
import { stateOf, actionOf, selectOf, errors, body } from './flow-html.ts';

const WA = '4917012340091';
// 2026-03-01 is a Sunday; 03-02 a Monday, 03-07 a Saturday.
const FLOW = {
  version: '7.0',
  data_api_version: '3.0',
  routing_model: { BOOK: [] },
  screens: [
    {
      id: 'BOOK',
      title: 'Book',
      terminal: true,
      data: {
        closed: { type: 'array', items: { type: 'string' }, __example__: ['2026-03-10'] },
        note: { type: 'string', __example__: 'Pick your dates' },
      },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          { type: 'TextBody', text: '${data.note}' },
          {
            type: 'CalendarPicker',
            name: 'day',
            label: 'Day <of visit>',
            mode: 'single',
            required: true,
            'helper-text': 'Weekdays <only>',
            'min-date': '2026-03-02',
            'max-date': '2026-03-31',
            'unavailable-dates': '${data.closed}',
            'include-days': ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
          },
          {
            type: 'CalendarPicker',
            name: 'stay',
            mode: 'range',
            title: 'Your stay',
            label: { 'start-date': 'Check-in', 'end-date': 'Check-out' },
            'helper-text': { 'start-date': 'From <noon>', 'end-date': 'Until 11:00' },
            required: { 'start-date': true, 'end-date': true },
            'min-date': '2026-03-01',
            'max-date': '2026-06-30',
            'min-days': 2,
            'max-days': 7,
            'on-select-action': { name: 'data_exchange', payload: { stay: '${form.stay}' } },
          },
          { type: 'Footer', label: 'Book', 'on-click-action': { name: 'complete', payload: { day: '${form.day}', stay: '${form.stay}' } } },
        ],
      },
    },
  ],
};


describeEachDb('sandbox phone: a CalendarPicker', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let endpoint: FlowEndpoint;
  let phone: PhoneClient;
  let flowId: string;
  let n = 0;
  const path = (id: string) => `/sandbox/phone/flow/${encodeURIComponent(id)}`;

  /** The business sends the flow, opening on BOOK with March 10 closed: the message's id and flow_token. */
  async function sendFlow(): Promise<{ id: string; token: string }> {
    const token = `CAL-${++n}`;
    const id = await sendFlowMessage({ t, p, flowId }, { to: WA, token, text: 'Book your stay', cta: 'Book', screen: 'BOOK', data: { closed: ['2026-03-10'], note: 'Pick your dates' } });
    return { id, token };
  }

  let setup: FlowPhone;
  beforeAll(async () => {
    setup = await startFlowPhone(kind, {
      flow: FLOW,
      name: 'stays',
      categories: ['APPOINTMENT_BOOKING'],
      wa: WA,
      firstWords: 'a room please',
      handler: (req: FlowRequest) => {
        const stay = (req.data?.stay ?? {}) as Record<string, string>;
        return { json: { version: '3.0', screen: 'BOOK', data: { closed: ['2026-03-10', '2026-03-11'], note: `Stay <${stay['start-date']} to ${stay['end-date']}>` } } };
      },
    });
    ({ t, p, receiver, endpoint, phone, flowId } = setup);
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('draws a date input for a single date and two for a range, with their labels, helper texts and limits, escaped', async () => {
    const m = await sendFlow();
    const res = await phone.get(path(m.id));
    expect(res.status).toBe(200);
    const html = res.text;
    expect(html).not.toContain('not simulated');
    expect(html).toMatch(/<input type="date" id="[^"]+" name="f\.day" value="" min="2026-03-02" max="2026-03-31" required/);
    expect(html).toMatch(/<input type="date" id="[^"]+" name="f\.stay\.start-date" value="" min="2026-03-01" max="2026-06-30" required/);
    expect(html).toMatch(/<input type="date" id="[^"]+" name="f\.stay\.end-date" value="" min="2026-03-01" max="2026-06-30" required/);
    expect(html).toContain('Day &lt;of visit&gt;');
    expect(html).toContain('Weekdays &lt;only&gt;');
    expect(html).toContain('<legend>Your stay</legend>');
    expect(html).toContain('>Check-in<span aria-hidden="true"> *</span></label>');
    expect(html).toContain('>Check-out<span aria-hidden="true"> *</span></label>');
    expect(html).toContain('From &lt;noon&gt;');
    expect(html).toContain('Only on Mon, Tue, Wed, Thu, Fri. Not available: 2026-03-10.');
    expect(html).toContain('At least 2 days. At most 7 days.');
    expect(html).not.toContain('<of visit>');
  });

  it('checks every limit when the Footer is tapped, as WhatsApp does, and says which field is wrong (a forged form too): 400, nothing sent', async () => {
    const m = await sendFlow();
    let page = (await phone.get(path(m.id))).text;
    const before = inboundMessages(receiver).length;
    const book = async (fields: Record<string, string>) => {
      const res = await phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Book'), ...fields });
      expect(res.status, res.text.slice(0, 500)).toBe(400);
      page = res.text;
      return errors(page);
    };
    const stay = { 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '2026-03-08' };
    expect(await book({ 'f.day': '', 'f.stay.start-date': '', 'f.stay.end-date': '' })).toEqual(['“Day <of visit>” is required.', '“Check-in” is required.']);
    expect(await book({ 'f.day': '2026-03-07', ...stay })).toEqual(['“Day <of visit>”: 2026-03-07 is a Sat, which cannot be picked (Mon, Tue, Wed, Thu, Fri only).']);
    expect(await book({ 'f.day': '2026-03-10', ...stay })).toEqual(['“Day <of visit>”: 2026-03-10 is not available.']);
    expect(await book({ 'f.day': '2026-03-01', ...stay })).toEqual(['“Day <of visit>” must be on or after 2026-03-02.']);
    expect(await book({ 'f.day': '2026-04-01', ...stay })).toEqual(['“Day <of visit>” must be on or before 2026-03-31.']);
    expect(await book({ 'f.day': '2026-02-30', ...stay })).toEqual(['“Day <of visit>” must be a date (YYYY-MM-DD).']);
    // The range: both ends required, the end after the start, 2 to 7 days counting both ends.
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '' })).toEqual(['“Check-out” is required.']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-08', 'f.stay.end-date': '2026-03-05' })).toEqual(['“Check-out” must be on or after “Check-in”.']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '2026-03-05' })).toEqual(['“Your stay”: pick at least 2 days (1 picked).']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '2026-03-12' })).toEqual(['“Your stay”: pick at most 7 days (8 picked).']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-02-27', 'f.stay.end-date': '2026-03-02' })).toEqual(['“Check-in” must be on or after 2026-03-01.']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '2026-06-29', 'f.stay.end-date': '2026-07-01' })).toEqual(['“Check-out” must be on or before 2026-06-30.']);
    // A forged form: a range for the single picker, one date for the range, text that is no date.
    expect(await book({ 'f.day.start-date': '2026-03-03', 'f.day.end-date': '2026-03-04', ...stay })).toEqual(['“Day <of visit>” takes one date, not a range.']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay': '2026-03-05' })).toEqual(['“Your stay” takes a range: a start date and an end date.']);
    expect(await book({ 'f.day': '2026-03-03', 'f.stay.start-date': '<script>', 'f.stay.end-date': '2026-03-08' })).toEqual(['“Check-in” must be a date (YYYY-MM-DD).']);
    expect(page).not.toContain('<script>');
    // What was entered stays in the inputs (only real dates).
    expect(page).toMatch(/name="f\.stay\.start-date" value=""/);
    expect(page).toMatch(/name="f\.stay\.end-date" value="2026-03-08"/);
    expect(inboundMessages(receiver).length).toBe(before);
  });

  it("a range's on-select-action goes to the endpoint with {start-date, end-date}; the answer's data redraws the screen", async () => {
    const m = await sendFlow();
    const page = (await phone.get(path(m.id))).text;
    const before = endpoint.decrypted().length;
    const res = await phone.post(path(m.id), { _state: stateOf(page), _select: selectOf(page, 'Your stay'), 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '2026-03-08' });
    expect(res.status).toBe(200);
    const sent = endpoint.decrypted().slice(before);
    expect(sent).toEqual([{ version: '3.0', action: 'data_exchange', screen: 'BOOK', data: { stay: { 'start-date': '2026-03-05', 'end-date': '2026-03-08' } }, flow_token: m.token }]);
    expect(body(res.text)).toBe('Stay &lt;2026-03-05 to 2026-03-08&gt;');
    // The endpoint closed March 11 too; the picked dates stay.
    expect(res.text).toContain('Not available: 2026-03-10, 2026-03-11.');
    expect(res.text).toMatch(/name="f\.stay\.start-date" value="2026-03-05"/);
    expect(res.text).toMatch(/name="f\.day" value="2026-03-03"/);
  });

  it('completes the flow with a date string and a {start-date, end-date} range in response_json', async () => {
    const m = await sendFlow();
    const page = (await phone.get(path(m.id))).text;
    const before = inboundMessages(receiver).length;
    const res = await phone.post(path(m.id), { _state: stateOf(page), _action: actionOf(page, 'Book'), 'f.day': '2026-03-03', 'f.stay.start-date': '2026-03-05', 'f.stay.end-date': '2026-03-11' });
    expect(res.status, errors(res.text).join('; ')).toBe(303);
    const reply = await waitForInbound(receiver, before + 1);
    expect(reply.interactive.type).toBe('nfm_reply');
    expect(JSON.parse(reply.interactive.nfm_reply.response_json)).toEqual({ flow_token: m.token, day: '2026-03-03', stay: { 'start-date': '2026-03-05', 'end-date': '2026-03-11' } });
  });
});
