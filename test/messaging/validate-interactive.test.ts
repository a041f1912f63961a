import { describe, expect, it } from 'vitest';
import { expectRejected, expectRejectedInBoth, FLAVOURS, repeat, send } from './validate-helpers.ts';

const body = { text: 'Pick one' };
const reply = (id: string, title = id) => ({ type: 'reply', reply: { id, title } });
const buttons = (...b: unknown[]) => ({ type: 'button', body, action: { buttons: b } });
const row = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `Row ${id}`, ...extra });
const list = (sections: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'list', body, action: { button: 'Menu', sections }, ...extra });

describe('interactive: common parts', () => {
  it('names the interactive type and rejects unknown ones', () => {
    expectRejectedInBoth('interactive', { body, action: {} }, 'interactive.type', { rule: /is required/ });
    expectRejectedInBoth('interactive', { type: 'carousel_x', body, action: {} }, 'interactive.type', { rule: /must be one of button, list/ });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), extra: 1 }, 'interactive.extra', { rule: /not a known field/ });
    expectRejectedInBoth('interactive', { type: 'button', body }, 'interactive.action', { rule: /is required/ });
  });

  it('body ≤ 1024 and required; footer ≤ 60', () => {
    expect(send('cloud', 'interactive', { ...buttons(reply('a')), body: { text: repeat(1024) }, footer: { text: repeat(60) } }).type).toBe('interactive');
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), body: { text: repeat(1025) } }, 'interactive.body.text', { rule: /at most 1024/ });
    expectRejectedInBoth('interactive', { type: 'button', action: { buttons: [reply('a')] } }, 'interactive.body', { rule: /is required/ });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), footer: { text: repeat(61) } }, 'interactive.footer.text', { rule: /at most 60/ });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), footer: 'x' }, 'interactive.footer', { rule: /must be an object/ });
  });

  it('a list message body may be 4096 long (Meta allows lists more than the other interactive types)', () => {
    const sections = [{ title: 'S', rows: [row('1')] }];
    expect(send('cloud', 'interactive', list(sections, { body: { text: repeat(4096) } })).type).toBe('interactive');
    expect(send('onpremise', 'interactive', list(sections, { body: { text: repeat(4096) } })).type).toBe('interactive');
    expectRejectedInBoth('interactive', list(sections, { body: { text: repeat(4097) } }), 'interactive.body.text', { rule: /at most 4096/ });
  });

  it('header: text ≤ 60 or a media header (its uploaded id is checked like any media)', () => {
    expect(send('cloud', 'interactive', { ...buttons(reply('a')), header: { type: 'text', text: repeat(60) } }).mediaId).toBeUndefined();
    const img = send('cloud', 'interactive', { ...buttons(reply('a')), header: { type: 'image', image: { id: '777' } } });
    expect(img.mediaId).toBe('777');
    expect(send('onpremise', 'interactive', { ...buttons(reply('a')), header: { type: 'document', document: { link: 'https://example.com/a.pdf', filename: 'a.pdf' } } }).mediaId).toBeUndefined();
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), header: { type: 'text', text: repeat(61) } }, 'interactive.header.text', { rule: /at most 60/ });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), header: { type: 'audio', audio: { id: '1' } } }, 'interactive.header.type');
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), header: { type: 'video' } }, 'interactive.header.video', { rule: /is required/ });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), header: { type: 'image', image: { link: 'ftp://x/a.png' } } }, 'interactive.header.image.link', { code: 131009 });
    expectRejectedInBoth('interactive', { ...buttons(reply('a')), header: { type: 'text', text: 'x', image: { id: '1' } } }, 'interactive.header.image');
  });
});

describe('interactive: reply buttons', () => {
  it.each(FLAVOURS)('%s: 1 to 3 buttons', (flavour) => {
    expect((send(flavour, 'interactive', buttons(reply('a'))).content as Record<string, unknown>).type).toBe('button');
    expect(send(flavour, 'interactive', buttons(reply('a'), reply('b'), reply('c'))).type).toBe('interactive');
    expectRejected(() => send(flavour, 'interactive', buttons()), 'interactive.action.buttons', { rule: /at least 1/ });
    expectRejected(() => send(flavour, 'interactive', buttons(reply('a'), reply('b'), reply('c'), reply('d'))), 'interactive.action.buttons', { rule: /at most 3 items \(got 4\)/ });
  });

  it('title ≤ 20, id ≤ 256, both unique', () => {
    expect(send('cloud', 'interactive', buttons(reply(repeat(256), repeat(20)))).type).toBe('interactive');
    expectRejectedInBoth('interactive', buttons(reply('a'), reply('b', repeat(21))), 'interactive.action.buttons[1].reply.title', { rule: /at most 20/ });
    expectRejectedInBoth('interactive', buttons(reply(repeat(257), 'x')), 'interactive.action.buttons[0].reply.id', { rule: /at most 256/ });
    expectRejectedInBoth('interactive', buttons(reply('a', 'Yes'), reply('b', 'No'), reply('a', 'Maybe')), 'interactive.action.buttons[2].reply.id', {
      code: 131009,
      rule: /already used by interactive\.action\.buttons\[0\]\.reply\.id/,
    });
    expectRejectedInBoth('interactive', buttons(reply('a', 'Yes'), reply('b', 'Yes')), 'interactive.action.buttons[1].reply.title', { code: 131009 });
    expectRejectedInBoth('interactive', buttons(reply(' a ', 'x')), 'interactive.action.buttons[0].reply.id', { code: 131009, rule: /spaces/ });
  });

  it('each button is {type:"reply", reply:{id,title}}', () => {
    expectRejectedInBoth('interactive', buttons({ type: 'url', reply: { id: 'a', title: 'a' } }), 'interactive.action.buttons[0].type');
    expectRejectedInBoth('interactive', buttons({ type: 'reply' }), 'interactive.action.buttons[0].reply', { rule: /is required/ });
    expectRejectedInBoth('interactive', buttons({ type: 'reply', reply: { id: 'a' } }), 'interactive.action.buttons[0].reply.title', { rule: /is required/ });
    expectRejectedInBoth('interactive', buttons('a'), 'interactive.action.buttons[0]', { rule: /must be an object/ });
  });
});

describe('interactive: list', () => {
  it.each(FLAVOURS)('%s: one section of up to 10 rows', (flavour) => {
    const rows = Array.from({ length: 10 }, (_, i) => row(`r${i}`, { description: repeat(72) }));
    expect(send(flavour, 'interactive', list([{ rows }])).type).toBe('interactive');
  });

  it('up to 10 rows across all sections', () => {
    const sections = [
      { title: 'A', rows: Array.from({ length: 6 }, (_, i) => row(`a${i}`)) },
      { title: 'B', rows: Array.from({ length: 5 }, (_, i) => row(`b${i}`)) },
    ];
    expectRejectedInBoth('interactive', list(sections), 'interactive.action.sections[1].rows[4]', { rule: /at most 10 rows across all its sections/ });
  });

  it('1 to 10 sections; a title ≤ 24 on each when there are several', () => {
    expectRejectedInBoth('interactive', list([]), 'interactive.action.sections', { rule: /at least 1/ });
    const eleven = Array.from({ length: 11 }, (_, i) => ({ title: `S${i}`, rows: [row(`r${i}`)] }));
    expectRejectedInBoth('interactive', list(eleven), 'interactive.action.sections', { rule: /at most 10 items \(got 11\)/ });
    expectRejectedInBoth('interactive', list([{ title: 'A', rows: [row('1')] }, { rows: [row('2')] }]), 'interactive.action.sections[1].title', { rule: /more than one section/ });
    expect(send('cloud', 'interactive', list([{ rows: [row('1')] }])).type).toBe('interactive');
    expectRejectedInBoth('interactive', list([{ title: repeat(25), rows: [row('1')] }]), 'interactive.action.sections[0].title', { rule: /at most 24/ });
    expectRejectedInBoth('interactive', list([{ title: 'A', rows: [] }]), 'interactive.action.sections[0].rows', { rule: /at least 1/ });
  });

  it('rows: id ≤ 200 and unique across sections, title ≤ 24, description ≤ 72', () => {
    expect(send('cloud', 'interactive', list([{ rows: [{ id: repeat(200), title: repeat(24) }] }])).type).toBe('interactive');
    expectRejectedInBoth('interactive', list([{ rows: [{ id: repeat(201), title: 't' }] }]), 'interactive.action.sections[0].rows[0].id', { rule: /at most 200/ });
    expectRejectedInBoth('interactive', list([{ rows: [{ id: 'a', title: repeat(25) }] }]), 'interactive.action.sections[0].rows[0].title', { rule: /at most 24/ });
    expectRejectedInBoth('interactive', list([{ rows: [row('a', { description: repeat(73) })] }]), 'interactive.action.sections[0].rows[0].description', { rule: /at most 72/ });
    expectRejectedInBoth('interactive', list([{ title: 'A', rows: [row('x')] }, { title: 'B', rows: [row('x')] }]), 'interactive.action.sections[1].rows[0].id', { code: 131009, rule: /already used/ });
  });

  it('button text ≤ 20; only a text header', () => {
    expectRejectedInBoth('interactive', { type: 'list', body, action: { button: repeat(21), sections: [{ rows: [row('1')] }] } }, 'interactive.action.button', { rule: /at most 20/ });
    expectRejectedInBoth('interactive', { type: 'list', body, action: { sections: [{ rows: [row('1')] }] } }, 'interactive.action.button', { rule: /is required/ });
    expect(send('cloud', 'interactive', list([{ rows: [row('1')] }], { header: { type: 'text', text: 'Menu' } })).type).toBe('interactive');
    expectRejectedInBoth('interactive', list([{ rows: [row('1')] }], { header: { type: 'image', image: { id: '1' } } }), 'interactive.header.type', { rule: /only a text header/ });
  });
});
