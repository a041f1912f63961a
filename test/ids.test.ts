import { afterEach, expect, it, vi } from 'vitest';
import { fillRandom, recordId, safeIntegerDigits16, sortableRecordId } from '../src/ids.ts';
import { newMessageId, newOnPremMessageId, newWamid } from '../src/messaging/wamid.ts';
import { newNamespace } from '../src/services/waba-accounts.ts';

afterEach(() => vi.useRealTimers());

it('sortable record ids sort by creation time and stay unguessable', () => {
  vi.useFakeTimers();
  const ids: string[] = [];
  for (const t of [0, 1, 61, 62, 1_700_000_000_000, 1_700_000_000_001, 4_000_000_000_000]) {
    vi.setSystemTime(t);
    ids.push(sortableRecordId('evt'));
  }
  expect([...ids].sort()).toEqual(ids);
  for (const id of ids) expect(id).toMatch(/^evt_[0-9A-Za-z]{18}$/);
  // The same millisecond: ids still sort in the order they were made, and differ.
  vi.setSystemTime(4_000_000_000_000);
  const same = Array.from({ length: 5000 }, () => sortableRecordId('att'));
  expect(new Set(same).size).toBe(5000);
  expect([...same].sort()).toEqual(same);
  // A clock that steps back does not make an earlier id.
  vi.setSystemTime(1_000);
  const later = sortableRecordId('att');
  expect(later > same[same.length - 1]!).toBe(true);
  expect(recordId('key')).toMatch(/^key_[0-9A-Za-z]{16}$/);
});

it('wamids carry the recipient, are URL-safe and unique', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => newWamid(`4915${String(i).padStart(8, '0')}`));
  expect(new Set(ids).size).toBe(ids.length);
  for (const [i, id] of ids.entries()) {
    expect(id).toMatch(/^wamid\.HBgL[A-Za-z0-9=_-]+$/);
    const blob = Buffer.from(id.slice('wamid.HBgL'.length), 'base64');
    const waId = `4915${String(i).padStart(8, '0')}`;
    expect([...blob.subarray(0, 6)]).toEqual([0x15, 0x02, 0x00, 0x11, 0x18, waId.length]);
    expect(blob.subarray(6, 6 + waId.length).toString('latin1')).toBe(waId);
    expect(blob.length).toBe(6 + waId.length + 16);
  }
  // The random parts of two ids for the same recipient differ (they are drawn per id, not shared).
  const a = Buffer.from(newWamid('491500000000').slice(10), 'base64').subarray(-16);
  const b = Buffer.from(newWamid('491500000000').slice(10), 'base64').subarray(-16);
  expect(a.equals(b)).toBe(false);
});

it('fillRandom writes fresh pool bytes where it is told', () => {
  const buf = Buffer.alloc(40);
  fillRandom(buf, 8, 16);
  expect(buf.subarray(0, 8).every((x) => x === 0)).toBe(true);
  expect(buf.subarray(24).every((x) => x === 0)).toBe(true);
  const other = Buffer.alloc(16);
  // Across a pool refill too (the pool is 4 KB).
  for (let i = 0; i < 300; i++) fillRandom(other, 0, 16);
  expect(other.equals(buf.subarray(8, 24))).toBe(false);
});

it('On-Premise message ids look like Meta’s (gBEG + 23 base64url characters), are URL-safe and unique; a channel’s hosting type picks the kind', () => {
  const ids = Array.from({ length: 2000 }, () => newOnPremMessageId());
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^gBEG[A-Za-z0-9_-]{23}$/);
  expect(newMessageId({ hosting_type: 'onpremise' }, '4915112345678')).toMatch(/^gBEG/);
  expect(newMessageId({ hosting_type: 'cloud' }, '4915112345678')).toMatch(/^wamid\.HBgL/);
});

it('WABA template namespaces are 32 uniformly random hex digits in 8-4-4-4-12 groups (letters as often as hex has them)', () => {
  const all = Array.from({ length: 2000 }, () => newNamespace());
  expect(new Set(all).size).toBe(all.length);
  for (const ns of all) expect(ns).toMatch(/^[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}$/);
  // 6 of 16 hex digits are letters; hex of ASCII base62 characters had about 1 in 9.
  const digitsOnly = all.join('').replace(/_/g, '');
  const letters = digitsOnly.replace(/[0-9]/g, '').length / digitsOnly.length;
  expect(letters).toBeGreaterThan(0.35);
  expect(letters).toBeLessThan(0.4);
});

it('safe 16-digit ids (flow ids) survive a JSON number: 16 digits, below 2^53, varied', () => {
  const ids = Array.from({ length: 5000 }, () => safeIntegerDigits16());
  for (const id of ids) {
    expect(id).toMatch(/^[1-8]\d{15}$/);
    expect(Number.isSafeInteger(Number(id))).toBe(true);
    expect(String(JSON.parse(`{"flow_id":${id}}`).flow_id)).toBe(id);
  }
  expect(new Set(ids).size).toBe(5000);
  expect(new Set(ids.map((id) => id[0])).size).toBe(8);
});
