// The Calling API's interactive types in both flavours: the call button (voice_call) and the
// call permission request; and the user's answer to a request (call_permission_reply) as the
// sandbox completes it.
import { describe, expect, it } from 'vitest';
import { expectRejected, expectRejectedInBoth, FLAVOURS, repeat, send } from './validate-helpers.ts';
import { callPermissionReply, TEMPORARY_CALL_PERMISSION_SECONDS } from '../../src/messaging/call-permission-reply.ts';

const body = { text: 'You can call us on WhatsApp now for faster service!' };
const voiceCall = (parameters: unknown, extra: Record<string, unknown> = {}) => ({ type: 'voice_call', body, action: { name: 'voice_call', parameters }, ...extra });
const P = 'interactive.action.parameters';

describe('interactive: voice_call', () => {
  it.each(FLAVOURS)("%s: Meta's example, a bare action, a header and footer", (flavour) => {
    const m = send(flavour, 'interactive', voiceCall({ display_text: 'Call on WhatsApp', ttl_minutes: 100, payload: 'payload data' }));
    expect(m.content).toEqual({ type: 'voice_call', body, action: { name: 'voice_call', parameters: { display_text: 'Call on WhatsApp', ttl_minutes: 100, payload: 'payload data' } } });
    expect(send(flavour, 'interactive', { type: 'voice_call', body, action: { name: 'voice_call' } }).type).toBe('interactive');
    expect(send(flavour, 'interactive', voiceCall({}, { header: { type: 'text', text: 'Support' }, footer: { text: 'Mon–Fri' } })).type).toBe('interactive');
    expect(send(flavour, 'interactive', voiceCall({ ttl_minutes: '43200', display_text: repeat(20), payload: repeat(512) })).type).toBe('interactive');
  });

  it('display_text ≤ 20, ttl_minutes 1–43200, payload ≤ 512, nothing else', () => {
    expectRejectedInBoth('interactive', voiceCall({ display_text: repeat(21) }), `${P}.display_text`, { rule: /at most 20/ });
    expectRejectedInBoth('interactive', voiceCall({ display_text: '' }), `${P}.display_text`, { rule: /must not be empty/ });
    expectRejectedInBoth('interactive', voiceCall({ ttl_minutes: 0 }), `${P}.ttl_minutes`, { rule: /between 1 and 43200 \(got 0\)/ });
    expectRejectedInBoth('interactive', voiceCall({ ttl_minutes: 43201 }), `${P}.ttl_minutes`, { rule: /between 1 and 43200/ });
    expectRejectedInBoth('interactive', voiceCall({ ttl_minutes: 1.5 }), `${P}.ttl_minutes`, { rule: /whole number/ });
    expectRejectedInBoth('interactive', voiceCall({ ttl_minutes: 'soon' }), `${P}.ttl_minutes`, { rule: /whole number/ });
    expectRejectedInBoth('interactive', voiceCall({ payload: repeat(513) }), `${P}.payload`, { rule: /at most 512/ });
    expectRejectedInBoth('interactive', voiceCall({ phone_number: '+1555' }), `${P}.phone_number`, { rule: /not a known field/ });
    expectRejectedInBoth('interactive', voiceCall('Call'), P, { rule: /must be an object/ });
  });

  it('the action is named voice_call; a body is required', () => {
    expectRejectedInBoth('interactive', { type: 'voice_call', body, action: {} }, 'interactive.action.name', { rule: /is required and must be "voice_call"/ });
    expectRejectedInBoth('interactive', { type: 'voice_call', body, action: { name: 'call' } }, 'interactive.action.name', { rule: /must be "voice_call"/ });
    expectRejectedInBoth('interactive', { type: 'voice_call', body, action: { name: 'voice_call', buttons: [] } }, 'interactive.action.buttons', { rule: /not a known field/ });
    expectRejectedInBoth('interactive', { type: 'voice_call', action: { name: 'voice_call' } }, 'interactive.body', { rule: /is required/ });
    expectRejectedInBoth('interactive', voiceCall({}, { body: { text: repeat(1025) } }), 'interactive.body.text', { rule: /at most 1024/ });
  });
});

describe('interactive: call_permission_request', () => {
  const request = (extra: Record<string, unknown> = {}) => ({ type: 'call_permission_request', action: { name: 'call_permission_request' }, body: { text: 'We would like to call you about order ON-12853.' }, ...extra });

  it.each(FLAVOURS)('%s: a body and the named action; the body may be left out (Meta: optional, "highly recommended")', (flavour) => {
    expect(send(flavour, 'interactive', request()).content).toEqual(request());
    expect(send(flavour, 'interactive', request({ body: undefined })).type).toBe('interactive');
  });

  it('only the body can be customized: no header, footer or action fields', () => {
    expectRejectedInBoth('interactive', request({ header: { type: 'text', text: 'Hi' } }), 'interactive.header', { rule: /not allowed for call_permission_request/ });
    expectRejectedInBoth('interactive', request({ footer: { text: 'Talk soon' } }), 'interactive.footer', { rule: /not allowed for call_permission_request/ });
    expectRejectedInBoth('interactive', request({ action: { name: 'call_permission_request', parameters: {} } }), 'interactive.action.parameters', { rule: /not a known field/ });
    expectRejectedInBoth('interactive', request({ action: { name: 'voice_call' } }), 'interactive.action.name', { rule: /must be "call_permission_request"/ });
    expectRejectedInBoth('interactive', request({ action: undefined }), 'interactive.action', { rule: /is required/ });
    expectRejectedInBoth('interactive', request({ body: { text: repeat(1025) } }), 'interactive.body.text', { rule: /at most 1024/ });
    expectRejectedInBoth('interactive', request({ body: { text: '' } }), 'interactive.body.text', { rule: /must not be empty/ });
  });
});

describe('call_permission_reply: the user answers', () => {
  const now = new Date('2026-05-01T10:00:00Z');
  const secs = now.getTime() / 1000;
  const F = 'interactive.call_permission_reply';
  const reply = (v: unknown) => callPermissionReply(v, F, now);

  it("completes Meta's fields: a temporary acceptance expires after 7 days; permanent and rejections have no expiry", () => {
    expect(reply({ response: 'accept' })).toEqual({ response: 'accept', is_permanent: false, expiration_timestamp: secs + TEMPORARY_CALL_PERMISSION_SECONDS, response_source: 'user_action' });
    expect(reply({ response: 'accept', is_permanent: true })).toEqual({ response: 'accept', is_permanent: true, response_source: 'user_action' });
    expect(reply({ response: 'reject' })).toEqual({ response: 'reject', is_permanent: false, response_source: 'user_action' });
    expect(reply({ response: 'accept', response_source: 'automatic', expiration_timestamp: secs + 3600 })).toEqual({ response: 'accept', is_permanent: false, expiration_timestamp: secs + 3600, response_source: 'automatic' });
  });

  it('refuses what Meta would never send, naming the field', () => {
    expectRejected(() => reply({}), `${F}.response`, { rule: /is required/ });
    expectRejected(() => reply({ response: 'approve' }), `${F}.response`, { rule: /"accept" or "reject"/ });
    expectRejected(() => reply({ response: 'reject', is_permanent: true }), `${F}.is_permanent`);
    expectRejected(() => reply({ response: 'accept', is_permanent: 'yes' }), `${F}.is_permanent`, { rule: /true or false/ });
    expectRejected(() => reply({ response: 'reject', expiration_timestamp: secs + 60 }), `${F}.expiration_timestamp`, { rule: /temporary acceptance/ });
    expectRejected(() => reply({ response: 'accept', is_permanent: true, expiration_timestamp: secs + 60 }), `${F}.expiration_timestamp`);
    expectRejected(() => reply({ response: 'accept', expiration_timestamp: secs - 1 }), `${F}.expiration_timestamp`, { rule: /between/ });
    expectRejected(() => reply({ response: 'accept', expiration_timestamp: secs + TEMPORARY_CALL_PERMISSION_SECONDS + 1 }), `${F}.expiration_timestamp`);
    expectRejected(() => reply({ response: 'reject', response_source: 'automatic' }), `${F}.response_source`, { rule: /acceptance/ });
    expectRejected(() => reply({ response: 'accept', response_source: 'agent' }), `${F}.response_source`);
    expectRejected(() => reply({ response: 'accept', title: 'x' }), `${F}.title`, { rule: /not a known field/ });
    expectRejected(() => reply('accept'), F, { rule: /must be an object/ });
  });
});
