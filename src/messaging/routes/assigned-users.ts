// The users assigned to the key's WABA, Meta's /{waba-id}/assigned_users edge (the Graph API's
// WhatsApp Business Account Assigned Users; Meta's "Manage system users" guide: partners add their
// system user to a customer's WABA right after Embedded Signup), at the root as 360dialog serves the
// WABA's edges, and on the Graph path /{version}/{waba-id}/assigned_users (graph-paths.ts):
//
//   GET    /assigned_users?business=<id>                  {"data":[{"id":"<user id>","tasks":["MANAGE"]}]}
//   POST   /assigned_users?user=<id>&tasks=['MANAGE']    {"success":true}
//   DELETE /assigned_users?user=<id>                      {"success":true}
//
// Parameters in the query (as Meta's examples send them) or a JSON or form body. `tasks` comes as a
// JSON array, the text Meta's guide shows (`['MANAGE']`, Python quotes), or one name or a
// comma-separated list (`MANAGE`); each is an upper-case task name (MANAGE, DEVELOP,
// MANAGE_TEMPLATES, …: Meta's list grows, so any such name is kept, our choice). GET's `business`
// is taken and not needed (a key sees its own WABA only). A sandbox WABA keeps its assignments
// (waba_assigned_users, migration 0039), up to MAX_USERS; assigning a user again replaces its tasks;
// removing a user not assigned answers success too (the state asked for holds). openwaba knows no
// user names, so items carry id and tasks only (Meta's `name` left out, as Graph leaves out a field
// without a value). A number on Meta's network asks Meta.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { isoNow } from '../../clock.ts';
import { graphParams } from '../graph-params.ts';
import { fail, str, type Obj } from '../validate/check.ts';
import { metaError } from '../errors.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import type { ChannelRow } from '../../services/channels.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Channel'];
const config = { flavour: 'cloud' as const };
const BODY_LIMIT = 16 * 1024;
/** Users one sandbox WABA may have assigned (a bound on what a key can store). */
export const MAX_USERS = 50;
const MAX_TASKS = 20;
const TASK = /^[A-Z][A-Z_]{0,39}$/;

function userParam(p: Obj): string {
  const v = p.user;
  if (Array.isArray(v)) throw fail('user', 'must be given once');
  const id = typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : str(v, 'user', { max: 32 }).trim();
  if (!/^\d{1,32}$/.test(id)) throw fail('user', 'must be the numeric id of a (system) user, such as "1972555232742222"');
  return id;
}

function taskList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  const s = str(v, 'tasks', { max: 1000 }).trim();
  if (s.startsWith('[')) {
    try {
      const parsed = JSON.parse(s.replace(/'/g, '"')) as unknown;
      if (Array.isArray(parsed)) return parsed;
    } catch {
      /* refused below */
    }
    throw fail('tasks', `must be a list of task names such as ["MANAGE"] (got ${s.slice(0, 40)})`);
  }
  return s.split(',').map((t) => t.trim());
}

/** POST's parameters: user (numeric id) and tasks (one or more task names). */
export function parseAssignment(p: Obj): { user: string; tasks: string[] } {
  const user = userParam(p);
  const list = taskList(p.tasks);
  if (list.length === 0) throw fail('tasks', 'must name at least one task, such as MANAGE');
  if (list.length > MAX_TASKS) throw fail('tasks', `must name at most ${MAX_TASKS} tasks`);
  const tasks: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string' || !TASK.test(t)) throw fail('tasks', `each task must be an upper-case task name such as MANAGE or DEVELOP (got ${JSON.stringify(t)?.slice(0, 40)})`);
    if (!tasks.includes(t)) tasks.push(t);
  }
  return { user, tasks };
}

/** DELETE's parameter: the user to remove. */
export function parseUnassignment(p: Obj): { user: string } {
  return { user: userParam(p) };
}

function wabaOf(ch: ChannelRow): string {
  if (!ch.waba_account_id) throw metaError(400, 100, 'Invalid parameter', 'this number is not attached to a WhatsApp Business Account');
  return ch.waba_account_id;
}

const Success = Type.Object({ success: Type.Boolean() });
const paramsDoc = { consumes: ['application/json', 'application/x-www-form-urlencoded'], body: Type.Unknown(), response: { 200: Success } };

export const assignedUserRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });

    scope.get(
      '/assigned_users',
      {
        config,
        schema: {
          tags,
          security,
          summary: "The users assigned to the key's WABA with their tasks, as Graph's /{waba-id}/assigned_users lists them",
          querystring: Type.Object({ business: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: true }),
          response: { 200: Type.Object({ data: Type.Array(Type.Object({ id: Type.String(), tasks: Type.Array(Type.String()) }, { additionalProperties: true })) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const business = (request.query as { business?: string }).business;
          const b = await meta.json(ch, 'GET', (c) => withQuery(`${c.wabaId}/assigned_users`, { business }));
          if (!Array.isArray(b.data)) throw badAnswer('an assigned_users list without data');
          return b;
        }
        const rows = await deps.db.kysely.selectFrom('waba_assigned_users').select(['user_id', 'tasks']).where('waba_account_id', '=', wabaOf(ch)).orderBy('created_at').orderBy('user_id').execute();
        return { data: rows.map((r) => ({ id: r.user_id, tasks: JSON.parse(r.tasks) as string[] })) };
      },
    );

    scope.post(
      '/assigned_users',
      { config, bodyLimit: BODY_LIMIT, schema: { tags, security, summary: "Assign a user to the key's WABA with tasks (?user=<id>&tasks=['MANAGE'])", ...paramsDoc } },
      async (request) => {
        const ch = request.channel!;
        const a = parseAssignment(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => withQuery(`${c.wabaId}/assigned_users`, { user: a.user, tasks: JSON.stringify(a.tasks) }));
          return { success: b.success !== false };
        }
        const waba = wabaOf(ch);
        const now = isoNow(deps.clock);
        await deps.db.kysely.transaction().execute(async (tx) => {
          const known = await tx.selectFrom('waba_assigned_users').select('user_id').where('waba_account_id', '=', waba).execute();
          if (!known.some((k) => k.user_id === a.user) && known.length >= MAX_USERS) throw fail('user', `the WhatsApp Business Account already has ${MAX_USERS} assigned users (the sandbox's limit): remove one first`);
          await tx
            .insertInto('waba_assigned_users')
            .values({ waba_account_id: waba, user_id: a.user, tasks: JSON.stringify(a.tasks), created_at: now, modified_at: now })
            .onConflict((oc) => oc.columns(['waba_account_id', 'user_id']).doUpdateSet({ tasks: JSON.stringify(a.tasks), modified_at: now }))
            .execute();
        });
        return { success: true };
      },
    );

    scope.delete(
      '/assigned_users',
      { config, bodyLimit: BODY_LIMIT, schema: { tags, security, summary: "Remove a user from the key's WABA (?user=<id>)", ...paramsDoc } },
      async (request) => {
        const ch = request.channel!;
        const { user } = parseUnassignment(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'DELETE', (c) => withQuery(`${c.wabaId}/assigned_users`, { user }));
          return { success: b.success !== false };
        }
        await deps.db.kysely.deleteFrom('waba_assigned_users').where('waba_account_id', '=', wabaOf(ch)).where('user_id', '=', user).execute();
        return { success: true };
      },
    );
  });
};
