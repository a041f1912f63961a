// Reply buttons and lists: the interactive types whose answer comes back as a choice.
// button: 1–3 reply buttons, id ≤ 256 and unique, title ≤ 20 and unique.
// list: button text ≤ 20, 1–10 sections (a title ≤ 24 each when there is more than one),
// 1–10 rows across all sections, row id ≤ 200 and unique, title ≤ 24, description ≤ 72.
import { arr, badValue, fail, obj, oneOf, onlyKeys, optStr, str, Unique, type Obj } from '../check.ts';

export const REPLY_BUTTONS_MAX = 3;
export const BUTTON_ID_MAX = 256;
export const BUTTON_TITLE_MAX = 20;
export const LIST_BUTTON_MAX = 20;
export const LIST_SECTIONS_MAX = 10;
export const LIST_ROWS_MAX = 10;
export const SECTION_TITLE_MAX = 24;
export const ROW_ID_MAX = 200;
export const ROW_TITLE_MAX = 24;
export const ROW_DESCRIPTION_MAX = 72;

export function buttonAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['buttons']);
  const buttons = arr(a.buttons, `${f}.buttons`, { min: 1, max: REPLY_BUTTONS_MAX });
  const ids = new Unique('button id');
  const titles = new Unique('button title');
  buttons.forEach((b, i) => {
    const bf = `${f}.buttons[${i}]`;
    const o = obj(b, bf);
    onlyKeys(o, bf, ['type', 'reply']);
    oneOf(o.type, `${bf}.type`, ['reply'] as const);
    const reply = obj(o.reply, `${bf}.reply`);
    onlyKeys(reply, `${bf}.reply`, ['id', 'title']);
    const id = str(reply.id, `${bf}.reply.id`, { max: BUTTON_ID_MAX });
    if (id.trim() !== id) throw badValue(`${bf}.reply.id`, 'must not begin or end with spaces');
    const title = str(reply.title, `${bf}.reply.title`, { max: BUTTON_TITLE_MAX });
    ids.add(id, `${bf}.reply.id`);
    titles.add(title, `${bf}.reply.title`);
  });
}

export function listAction(a: Obj, f: string): void {
  onlyKeys(a, f, ['button', 'sections']);
  str(a.button, `${f}.button`, { max: LIST_BUTTON_MAX });
  const sections = arr(a.sections, `${f}.sections`, { min: 1, max: LIST_SECTIONS_MAX });
  const ids = new Unique('row id');
  let rows = 0;
  sections.forEach((s, i) => {
    const sf = `${f}.sections[${i}]`;
    const o = obj(s, sf);
    onlyKeys(o, sf, ['title', 'rows']);
    if (sections.length > 1 && o.title === undefined) throw fail(`${sf}.title`, 'is required when a list has more than one section');
    optStr(o.title, `${sf}.title`, { max: SECTION_TITLE_MAX });
    arr(o.rows, `${sf}.rows`, { min: 1 }).forEach((r, j) => {
      const rf = `${sf}.rows[${j}]`;
      if (++rows > LIST_ROWS_MAX) throw fail(rf, `a list has at most ${LIST_ROWS_MAX} rows across all its sections`);
      const row = obj(r, rf);
      onlyKeys(row, rf, ['id', 'title', 'description']);
      ids.add(str(row.id, `${rf}.id`, { max: ROW_ID_MAX }), `${rf}.id`);
      str(row.title, `${rf}.title`, { max: ROW_TITLE_MAX });
      // A row written with a null or empty description is a row without one (netflie's PHP
      // Section::rows() writes `description() ?: null` for every row; heyoo's README list writes
      // "description": ""): the key goes, so the stored list and a user's list_reply carry none.
      if (row.description === null || row.description === '') delete row.description;
      else optStr(row.description, `${rf}.description`, { max: ROW_DESCRIPTION_MAX });
    });
  });
}
