import { afterEach, expect, it, vi } from 'vitest';
import { recordId, sortableRecordId } from '../src/ids.ts';

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
  // The same millisecond: the random part differs.
  vi.setSystemTime(1_700_000_000_000);
  expect(new Set(Array.from({ length: 1000 }, () => sortableRecordId('att'))).size).toBe(1000);
  expect(recordId('key')).toMatch(/^key_[0-9A-Za-z]{16}$/);
});
