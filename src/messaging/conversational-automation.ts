// A number's conversational components (Meta's "Conversational Components": the welcome message,
// ice breakers and commands), as Meta's Cloud API sets and reads them:
//
//   POST /{phone-number-id}/conversational_automation
//        {enable_welcome_message: bool, prompts: ["…", …], commands: [{command_name, command_description}, …]}
//        → {"success":true}
//   GET  /{phone-number-id}?fields=conversational_automation
//        → {"conversational_automation":{"enable_welcome_message":…,"prompts":[…],"commands":[…]},"id":"…"}
//
// Meta's documented limits: at most 4 ice breakers of at most 80 characters; at most 30 commands,
// a command_name of at most 32 characters and a command_description of at most 256. Our choices
// where Meta's reference is silent (what most clients send is accepted):
// - A command_name is given without its slash (Meta's examples: "tickets", WhatsApp shows
//   "/tickets"): a leading "/" or any whitespace is refused, since the user could not type it as one
//   word; other characters are taken. Two commands of one name are refused (one would hide the other).
// - An update changes only the fields it names (clients such as meta-cloud-api send only what
//   changed); naming none of the three is refused, most likely a typo. An empty list clears.
// - prompts and commands may come as JSON text (a query string or a form carries them so, as Graph
//   decodes any structured parameter) or as a form's own lists (prompts[]=…, commands[0][command_name]=…).
// - Never set, the number answers enable_welcome_message false and empty lists (Meta may leave the
//   lists out; empty lists read the same to every client and need no special case).
import type { Deps } from '../deps.ts';
import { fail, fromJsonText, isObj, onlyKeys, str, type Obj } from './validate/check.ts';
import { graphBool } from './graph-params.ts';

export const MAX_PROMPTS = 4;
export const MAX_PROMPT_LENGTH = 80;
export const MAX_COMMANDS = 30;
export const MAX_COMMAND_NAME = 32;
export const MAX_COMMAND_DESCRIPTION = 256;

export interface Command {
  command_name: string;
  command_description: string;
}

export interface ConversationalAutomation {
  enable_welcome_message: boolean;
  prompts: string[];
  commands: Command[];
}

export type AutomationUpdate = Partial<ConversationalAutomation>;

/** A list parameter: an array, its JSON text, or (a form's `a[0]=…`) an object keyed 0, 1, … */
function list(v: unknown, field: string, max: number): unknown[] {
  const d = fromJsonText(v);
  let a: unknown[] | undefined = Array.isArray(d) ? d : undefined;
  if (!a && isObj(d)) {
    const keys = Object.keys(d);
    if (keys.every((k, i) => k === String(i))) a = keys.map((k) => d[k]);
  }
  if (!a) throw fail(field, 'must be an array (a JSON array, or its JSON text in a query string or form)');
  if (a.length > max) throw fail(field, `must have at most ${max} entries (got ${a.length})`);
  return a;
}

function prompts(v: unknown): string[] {
  return list(v, 'prompts', MAX_PROMPTS).map((p, i) => str(p, `prompts[${i}]`, { max: MAX_PROMPT_LENGTH }));
}

function commands(v: unknown): Command[] {
  const seen = new Set<string>();
  return list(v, 'commands', MAX_COMMANDS).map((c, i) => {
    const f = `commands[${i}]`;
    const o = fromJsonText(c);
    if (!isObj(o)) throw fail(f, 'must be an object {command_name, command_description}');
    onlyKeys(o, f, ['command_name', 'command_description']);
    const name = str(o.command_name, `${f}.command_name`, { max: MAX_COMMAND_NAME });
    if (name.startsWith('/')) throw fail(`${f}.command_name`, 'must be given without its leading slash (WhatsApp shows it as /name)');
    if (/\s/u.test(name)) throw fail(`${f}.command_name`, 'must be one word: no spaces or other whitespace');
    const key = name.toLowerCase();
    if (seen.has(key)) throw fail(`${f}.command_name`, `"${name}" is given twice: each command needs its own name`);
    seen.add(key);
    return { command_name: name, command_description: str(o.command_description, `${f}.command_description`, { max: MAX_COMMAND_DESCRIPTION }) };
  });
}

/** The fields an update names, checked as Meta checks them; a 400 naming the field otherwise. */
export function parseAutomationUpdate(p: Obj): AutomationUpdate {
  const one = (k: string) => {
    // A scalar repeated in the query (`?enable_welcome_message=true&enable_welcome_message=false`) is refused, not guessed at.
    if (k === 'enable_welcome_message' && Array.isArray(p[k])) throw fail(k, 'must be given once');
    return p[k];
  };
  const out: AutomationUpdate = {};
  const welcome = graphBool(one('enable_welcome_message'), 'enable_welcome_message');
  if (welcome !== undefined) out.enable_welcome_message = welcome;
  if (p.prompts !== undefined) out.prompts = prompts(p.prompts);
  if (p.commands !== undefined) out.commands = commands(p.commands);
  if (Object.keys(out).length === 0) throw fail('enable_welcome_message', 'is required (or prompts, or commands): name at least one to change');
  return out;
}

/** A number's conversational components: what it set, or none (welcome message off, no lists). */
export async function readAutomation(deps: Deps, channelId: string): Promise<ConversationalAutomation> {
  const row = await deps.db.kysely.selectFrom('conversational_automation').selectAll().where('channel_id', '=', channelId).executeTakeFirst();
  if (!row) return { enable_welcome_message: false, prompts: [], commands: [] };
  return { enable_welcome_message: row.enable_welcome_message === 1, prompts: JSON.parse(row.prompts) as string[], commands: JSON.parse(row.commands) as Command[] };
}

/** Changes the fields the update names; the others keep their values. */
export async function saveAutomation(deps: Deps, channelId: string, u: AutomationUpdate): Promise<void> {
  const now = deps.clock.now().toISOString();
  const set = {
    ...(u.enable_welcome_message !== undefined ? { enable_welcome_message: u.enable_welcome_message ? 1 : 0 } : {}),
    ...(u.prompts !== undefined ? { prompts: JSON.stringify(u.prompts) } : {}),
    ...(u.commands !== undefined ? { commands: JSON.stringify(u.commands) } : {}),
  };
  await deps.db.kysely
    .insertInto('conversational_automation')
    .values({ channel_id: channelId, enable_welcome_message: 0, prompts: '[]', commands: '[]', ...set, modified_at: now })
    .onConflict((oc) => oc.column('channel_id').doUpdateSet({ ...set, modified_at: now }))
    .execute();
}
