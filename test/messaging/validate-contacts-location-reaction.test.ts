import { describe, expect, it } from 'vitest';
import { isSingleEmoji } from '../../src/messaging/validate/types/reaction.ts';
import { isCalendarDate } from '../../src/messaging/validate/types/contacts.ts';
import { expectRejectedInBoth, FLAVOURS, send } from './validate-helpers.ts';

const card = (extra: Record<string, unknown> = {}) => ({ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, ...extra });

describe('contacts', () => {
  it.each(FLAVOURS)('%s: a full contact card', (flavour) => {
    const full = card({
      phones: [{ phone: '+1 (650) 555-1234', type: 'WORK', wa_id: '16505551234' }, { wa_id: '16505550000' }],
      emails: [{ email: 'ada@example.com', type: 'WORK' }],
      urls: [{ url: 'https://example.com', type: 'HOME' }],
      addresses: [{ street: '1 Hacker Way', city: 'Menlo Park', state: 'CA', zip: '94025', country: 'United States', country_code: 'us', type: 'WORK' }],
      org: { company: 'Analytical Engines', department: 'R&D', title: 'Countess' },
      birthday: '1815-12-10',
    });
    const m = send(flavour, 'contacts', [full, card()]);
    expect(m.type).toBe('contacts');
    expect(m.content).toEqual([full, card()]);
  });

  it('1 to 257 cards', () => {
    expect(send('cloud', 'contacts', Array.from({ length: 257 }, () => card())).type).toBe('contacts');
    expectRejectedInBoth('contacts', Array.from({ length: 258 }, () => card()), 'contacts', { rule: /at most 257/ });
    expectRejectedInBoth('contacts', [], 'contacts', { rule: /at least 1/ });
    expectRejectedInBoth('contacts', card(), 'contacts', { rule: /must be an array/ });
  });

  it('name.formatted_name is required', () => {
    expectRejectedInBoth('contacts', [card(), { name: { first_name: 'Bob' } }], 'contacts[1].name.formatted_name', { rule: /is required/ });
    expectRejectedInBoth('contacts', [{ phones: [] }], 'contacts[0].name', { rule: /is required/ });
    expectRejectedInBoth('contacts', [{ name: { formatted_name: 'A', nickname: 'a' } }], 'contacts[0].name.nickname', { rule: /not a known field/ });
  });

  it('phones, emails, urls and addresses are arrays of their objects', () => {
    expectRejectedInBoth('contacts', [card({ phones: { phone: '1' } })], 'contacts[0].phones', { rule: /must be an array/ });
    expectRejectedInBoth('contacts', [card({ phones: [{ type: 'HOME' }] })], 'contacts[0].phones[0]', { rule: /needs phone/ });
    expectRejectedInBoth('contacts', [card({ phones: [{ phone: 5551234 }] })], 'contacts[0].phones[0].phone', { rule: /must be a string/ });
    // An email's email and a url's url are optional, as Meta documents them (Evolution API sends [{}]).
    for (const flavour of FLAVOURS) expect(send(flavour, 'contacts', [card({ emails: [{ type: 'WORK' }], urls: [{}], org: {} })]).type).toBe('contacts');
    expectRejectedInBoth('contacts', [card({ emails: [{ email: 42 }] })], 'contacts[0].emails[0].email', { rule: /must be a string/ });
    expectRejectedInBoth('contacts', [card({ urls: ['https://example.com'] })], 'contacts[0].urls[0]', { rule: /must be an object/ });
    expectRejectedInBoth('contacts', [card({ addresses: [{ planet: 'Mars' }] })], 'contacts[0].addresses[0].planet');
    expectRejectedInBoth('contacts', [card({ org: 'ACME' })], 'contacts[0].org', { rule: /must be an object/ });
    expectRejectedInBoth('contacts', [card({ org: { company: 'ACME', ceo: 'x' } })], 'contacts[0].org.ceo');
  });

  it('birthday is a real YYYY-MM-DD date', () => {
    expectRejectedInBoth('contacts', [card({ birthday: '10/12/1815' })], 'contacts[0].birthday', { code: 131009 });
    expectRejectedInBoth('contacts', [card({ birthday: '2023-02-30' })], 'contacts[0].birthday', { code: 131009 });
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2023-13-01')).toBe(false);
  });
});

describe('location', () => {
  it.each(FLAVOURS)('%s: latitude and longitude in range, name and address optional', (flavour) => {
    expect(send(flavour, 'location', { latitude: -90, longitude: 180, name: 'Pole', address: 'South' }).type).toBe('location');
    expect(send(flavour, 'location', { latitude: '52.52', longitude: '13.40' }).type).toBe('location');
    // One of name and address left empty (n8n sends both, "" for the one not filled in).
    expect(send(flavour, 'location', { latitude: 1, longitude: 2, name: 'Shop', address: '' }).content).toEqual({ latitude: 1, longitude: 2, name: 'Shop', address: '' });
  });

  it('out of range, missing or not a number', () => {
    expectRejectedInBoth('location', { latitude: 90.0001, longitude: 0 }, 'location.latitude', { rule: /at most 90/ });
    expectRejectedInBoth('location', { latitude: 0, longitude: -180.5 }, 'location.longitude', { rule: /at least -180/ });
    expectRejectedInBoth('location', { longitude: 0 }, 'location.latitude', { rule: /is required/ });
    expectRejectedInBoth('location', { latitude: 'north', longitude: 0 }, 'location.latitude', { rule: /must be a number/ });
    expectRejectedInBoth('location', { latitude: 0, longitude: 0, name: 7 }, 'location.name', { rule: /must be a string/ });
    expectRejectedInBoth('location', { latitude: 0, longitude: 0, zoom: 3 }, 'location.zoom');
  });
});

describe('reaction', () => {
  it.each(FLAVOURS)('%s: one emoji, or "" to remove the reaction', (flavour) => {
    for (const emoji of ['👍', '👍🏽', '❤️', '❤', '🇩🇪', '👨‍👩‍👧', '1️⃣', '']) {
      expect(send(flavour, 'reaction', { message_id: 'wamid.abc', emoji }).content).toEqual({ message_id: 'wamid.abc', emoji });
    }
  });

  it('rejects text, several emoji and missing parts', () => {
    expectRejectedInBoth('reaction', { message_id: 'wamid.abc', emoji: 'ok' }, 'reaction.emoji', { code: 131009, rule: /single emoji/ });
    expectRejectedInBoth('reaction', { message_id: 'wamid.abc', emoji: '👍👍' }, 'reaction.emoji', { code: 131009 });
    expectRejectedInBoth('reaction', { message_id: 'wamid.abc', emoji: '1' }, 'reaction.emoji', { code: 131009 });
    expectRejectedInBoth('reaction', { message_id: 'wamid.abc' }, 'reaction.emoji', { rule: /is required/ });
    expectRejectedInBoth('reaction', { message_id: 'wamid.abc', emoji: 1 }, 'reaction.emoji', { rule: /must be a string/ });
    expectRejectedInBoth('reaction', { emoji: '👍' }, 'reaction.message_id', { rule: /is required/ });
  });

  it('isSingleEmoji', () => {
    expect(isSingleEmoji('🏳️‍🌈')).toBe(true);
    expect(isSingleEmoji('a')).toBe(false);
    expect(isSingleEmoji('👍 ')).toBe(false);
  });
});
