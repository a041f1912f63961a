// The sandbox phone opens a flow message: /sandbox/phone/flow/{wamid} shows the flow's screens
// from its stored Flow JSON (the published one, or the draft when the message was sent with mode
// "draft"), starting at the screen the message names with the data it gives. Each tap posts the
// screen's form; a Footer checks the fields as WhatsApp does; completing sends the business the
// nfm_reply with the complete action's payload and the message's flow_token, replying to the message.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { receiveInbound } from '../../messaging/inbound.ts';
import { flowOfMessage, flowUnavailable, type FlowMessageParams } from '../../messaging/flows/flow-message.ts';
import { flowParamsOfMessage } from '../../messaging/flows/template-flow.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { renderPage } from '../render.ts';
import { findConversationMessage } from './conversation.ts';
import type { Form } from './actions.ts';
import { DATA_ENDPOINT_NOTICE, decodeState, encodeState, goBack, openScreen, runAction, screenOf, type ShownScreen } from './flow-run.ts';
import { parseFlowDoc, postedValues, type FlowDoc } from './flow-screen.ts';
import type { PhoneState, PhoneUser } from './session.ts';

const HOME = '/sandbox/phone';

export interface PhoneHelpers {
  state(request: FastifyRequest): Promise<PhoneState>;
  posted(request: FastifyRequest): Promise<{ s: PhoneState; form: Form }>;
}

interface Opened {
  channel: ChannelRow;
  user: PhoneUser;
  csrf: string;
  messageId: string;
  params: FlowMessageParams;
  flowName: string;
  doc?: FlowDoc;
  /** Why the flow cannot be run here (shown instead of its screens). */
  problem?: string;
}

const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

export function flowRunnerRoutes(app: FastifyInstance, deps: Deps, h: PhoneHelpers): void {
  /** The session's flow message (of its channel and user), its flow and its Flow JSON. */
  async function open(s: PhoneState, messageId: string): Promise<Opened> {
    if (!s.channel) throw new ApiError(401, s.problem ?? 'Pick a channel first.');
    const user = s.session?.subject.user;
    if (!user) throw new ApiError(400, 'Choose who you are first.');
    if (messageId.length > 256) throw new ApiError(404, 'That message is not in this conversation.');
    const m = await findConversationMessage(deps, s.channel, user.waId, messageId);
    const params = m && (await flowParamsOfMessage(deps, s.channel, m));
    if (!params) throw new ApiError(404, 'That message is not a flow message of this conversation.');
    const flow = await flowOfMessage(deps, s.channel, params);
    const base = { channel: s.channel, user, csrf: s.session!.csrfToken, messageId, params, flowName: flow?.name ?? params.ref };
    const unavailable = flowUnavailable(flow, params);
    if (unavailable) return { ...base, problem: unavailable };
    const doc = parseFlowDoc(flow!.flow_json!);
    if (!doc || doc.screens.length === 0) return { ...base, problem: 'This flow has no screens the sandbox phone can show.' };
    return { ...base, doc };
  }

  function show(reply: FastifyReply, o: Opened, shown: ShownScreen | undefined, status = 200, problem?: string): FastifyReply {
    const title = shown?.screen.title ?? o.flowName;
    return renderPage(
      reply,
      'phone/flow',
      {
        title: `Flow: ${title}`,
        styles: ['/assets/phone.css', '/assets/phone-flow.css'],
        csrf: o.csrf,
        action: `${HOME}/flow/${encodeURIComponent(o.messageId)}`,
        flowName: o.flowName,
        screenTitle: title,
        problem: problem ?? o.problem,
        ...(shown
          ? {
              nodes: shown.built.nodes,
              state: encodeState(shown.state),
              canBack: shown.state.stack.length > 0,
              notice: shown.notice,
              error: shown.error,
            }
          : {}),
      },
      status,
    );
  }

  app.get(`${HOME}/flow/:id`, async (request, reply) => {
    const o = await open(await h.state(request), idOf(request));
    if (!o.doc) return show(reply, o, undefined);
    // flow_action data_exchange: the first screen comes from the business's endpoint.
    if (o.params.action === 'data_exchange') return show(reply, o, undefined, 200, DATA_ENDPOINT_NOTICE);
    const first = o.params.screen !== undefined ? screenOf(o.doc, o.params.screen) : o.params.firstScreen ? o.doc.screens[0] : undefined;
    if (!first) return show(reply, o, undefined, 200, `The message opens screen “${o.params.screen ?? ''}”, which this flow does not have.`);
    return show(reply, o, openScreen({ screen: first.id, data: o.params.data ?? {}, forms: {}, stack: [] }, first));
  });

  app.post(`${HOME}/flow/:id`, async (request, reply) => {
    const { s, form } = await h.posted(request);
    const o = await open(s, idOf(request));
    if (!o.doc) return show(reply, o, undefined);
    const state = decodeState(form._state);
    const screen = state && screenOf(o.doc, state.screen);
    if (!state || !screen) throw new ApiError(400, 'This flow page is out of date: open the flow again from the chat.');
    if (form._back !== undefined) {
      const back = goBack(o.doc, state);
      if (!back) return reply.redirect(HOME, 303);
      return show(reply, o, back);
    }
    const outcome = runAction(o.doc, state, screen, postedValues(screen, form), form._action, o.params.flowToken);
    if (!outcome) throw new ApiError(400, 'That button is not on this screen.');
    if (outcome.kind === 'show') return show(reply, o, outcome.shown, outcome.status);
    await receiveInbound(deps, o.channel, {
      from: o.user.waId,
      name: o.user.name,
      type: 'interactive',
      content: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: outcome.responseJson } },
      context: { from: o.channel.phone_number, id: o.messageId },
    });
    return reply.redirect(HOME, 303);
  });
}
