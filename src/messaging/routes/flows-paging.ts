// Cursor paging of the WhatsApp Flows routes of the Messaging API (routes/flows.ts), as Meta pages
// a list: paging.cursors {before, after}.
import { invalidParameter } from '../errors.ts';

// ---- cursors: the list is newest first; a cursor is the offset it stands at ----

export const encodeCursor = (offset: number) => Buffer.from(`flows:${offset}`).toString('base64url');
export function decodeCursor(raw: string, param: string): number {
  const m = /^flows:(\d{1,9})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw invalidParameter(`${param}: not a cursor from this API (use paging.cursors.${param} of a previous page)`);
  return Number(m[1]);
}
export function pageLimit(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 25;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalidParameter(`limit must be a whole number from 1, got "${raw.slice(0, 20)}"`);
  return Math.min(Number(raw), 1000);
}
