// GET /message_template_library in the sandbox: the catalogue (library.ts) with Meta's filters
// and the cursor paging of GET /message_templates: `{data, paging:{cursors:{before,after}, next?,
// previous?}}`, ordered by name then language.
//
// Filters, as Meta documents them: `search` (a part of the name or the body, any casing), `topic`,
// `usecase`, `industry` (one of the entry's industries), `language`, `name` (the whole name).
// Meta's values are upper-case words (ORDER_MANAGEMENT); either casing is taken here. A value no
// entry has answers an empty page, not an error: Meta's list of topics and use cases grows, and a
// client filtering by a newer one should see "none" rather than a refusal.
import { invalidParameter } from '../errors.ts';
import { LIBRARY, type LibraryTemplate } from './library.ts';

export interface LibraryQuery {
  search?: string;
  topic?: string;
  usecase?: string;
  industry?: string;
  language?: string;
  name?: string;
  limit?: string;
  after?: string;
  before?: string;
}

export const LIBRARY_FILTERS = ['search', 'topic', 'usecase', 'industry', 'language', 'name'] as const;

const encodeCursor = (e: LibraryTemplate) => Buffer.from(JSON.stringify([e.name, e.language])).toString('base64url');

function decodeCursor(raw: string, param: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    /* below */
  }
  throw invalidParameter(`${param}: not a cursor from this API (use paging.cursors.${param} of a previous page)`);
}

function pageSize(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 25;
  if (!/^\d{1,6}$/.test(raw)) throw invalidParameter(`limit must be a positive integer, got "${raw.slice(0, 20)}"`);
  return Math.min(Math.max(Number(raw), 1), 1000);
}

/** Entries passing the query's filters, in the catalogue's order. */
export function filterLibrary(q: LibraryQuery): LibraryTemplate[] {
  const up = (v: string | undefined) => (v ? v.toUpperCase() : undefined);
  const search = q.search?.toLowerCase();
  const topic = up(q.topic);
  const usecase = up(q.usecase);
  const industry = up(q.industry);
  return LIBRARY.filter(
    (e) =>
      (!search || e.name.toLowerCase().includes(search) || e.body.toLowerCase().includes(search)) &&
      (!topic || e.topic === topic) &&
      (!usecase || e.usecase === usecase) &&
      (!industry || e.industry.includes(industry)) &&
      (!q.language || e.language === q.language) &&
      (!q.name || e.name === q.name),
  );
}

const after = (e: LibraryTemplate, [n, l]: [string, string]) => e.name > n || (e.name === n && e.language > l);
const before = (e: LibraryTemplate, [n, l]: [string, string]) => e.name < n || (e.name === n && e.language < l);

/** One page of the library; `pageUrl` writes the next and previous pages' addresses from their query. */
export function listLibrary(q: LibraryQuery, pageUrl: (params: Record<string, string>) => string) {
  for (const [k, v] of Object.entries(q)) {
    if (typeof v !== 'string') throw invalidParameter(`${k}: must be given once`);
  }
  const limit = pageSize(q.limit);
  if (q.after && q.before) throw invalidParameter('send either after or before, not both');
  const all = filterLibrary(q);
  let items: LibraryTemplate[];
  let more: boolean;
  const backwards = Boolean(q.before);
  if (backwards) {
    const cursor = decodeCursor(q.before!, 'before');
    const earlier = all.filter((e) => before(e, cursor));
    items = earlier.slice(-limit);
    more = earlier.length > limit;
  } else {
    const cursor = q.after ? decodeCursor(q.after, 'after') : undefined;
    const later = cursor ? all.filter((e) => after(e, cursor)) : all;
    items = later.slice(0, limit);
    more = later.length > limit;
  }
  const paging: Record<string, unknown> = {};
  const first = items[0];
  const last = items.at(-1);
  if (first && last) {
    paging.cursors = { before: encodeCursor(first), after: encodeCursor(last) };
    const common: Record<string, string> = { limit: String(limit) };
    for (const k of LIBRARY_FILTERS) if (q[k]) common[k] = q[k]!;
    if (backwards ? true : more) paging.next = pageUrl({ ...common, after: encodeCursor(last) });
    if (backwards ? more : Boolean(q.after)) paging.previous = pageUrl({ ...common, before: encodeCursor(first) });
  }
  return { data: items, paging };
}
