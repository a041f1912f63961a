// Meta's conversational components (welcome message, ice breakers, commands) at the root, as
// 360dialog serves a number's Graph edges with the `/{phone-number-id}` prefix dropped, and so also
// at Graph's /{version}/{phone-number-id}/conversational_automation (graph-paths.ts):
//
//   POST /conversational_automation  {enable_welcome_message, prompts, commands}   {"success":true}
//   GET  /conversational_automation  {"conversational_automation":{…},"id":"<phone number id>"}
//
// The GET answers as Meta's GET /{phone-number-id}?fields=conversational_automation does (the
// phone number node's field: phone-number-node.ts), which is what clients read; Graph's own
// reference documents only that form for reading, and some clients GET the edge path itself.
// Parameters: a JSON body, a form, or the query string (graph-params.ts); the rules and our
// choices are in ../conversational-automation.ts. A number on Meta's network keeps its components
// at Meta: the checked update goes to Meta's /{phone_number_id}/conversational_automation as a
// JSON body (as pywa and meta-cloud-api send it), the read to Meta's node with
// fields=conversational_automation, and Meta's answer or error comes back.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { MAX_COMMAND_DESCRIPTION, MAX_COMMAND_NAME, MAX_COMMANDS, MAX_PROMPT_LENGTH, MAX_PROMPTS, parseAutomationUpdate, readAutomation, saveAutomation } from '../conversational-automation.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Conversational components'];
const config = { flavour: 'cloud' as const };
const BODY_LIMIT = 64 * 1024;
const PATH = '/conversational_automation';

export const conversationalAutomationRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    // Forms as the rest of the project parses them (qs, prototype keys refused, size limits).
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });

    scope.get(
      PATH,
      {
        config,
        schema: {
          tags,
          security,
          summary: "The number's conversational components: welcome message on or off, ice breakers (prompts) and commands",
          description: '{"conversational_automation":{"enable_welcome_message":false,"prompts":[],"commands":[]},"id":"<phone number id>"}, as Meta\'s GET /{phone-number-id}?fields=conversational_automation.',
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => withQuery(c.phoneNumberId, { fields: 'conversational_automation' }));
          if (typeof b.id !== 'string') throw badAnswer('phone number node without id');
          return b;
        }
        return { conversational_automation: await readAutomation(deps, ch.id), id: ch.external_id };
      },
    );

    scope.post(
      PATH,
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Set the welcome message (enable_welcome_message), ice breakers (prompts) and commands; only the fields given change',
          description:
            `prompts: at most ${MAX_PROMPTS} texts of at most ${MAX_PROMPT_LENGTH} characters; commands: at most ${MAX_COMMANDS} ` +
            `{command_name (at most ${MAX_COMMAND_NAME} characters, without the slash), command_description (at most ${MAX_COMMAND_DESCRIPTION})}. ` +
            'A JSON body, a form or query parameters (lists as JSON text). With the welcome message on, a user opening the chat for the first time ' +
            'makes a messages webhook with type "request_welcome".',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
        },
      },
      async (request) => {
        const ch = request.channel!;
        const update = parseAutomationUpdate(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/conversational_automation`, { json: update });
          return { success: b.success !== false };
        }
        await saveAutomation(deps, ch.id, update);
        return { success: true };
      },
    );
  });
};
