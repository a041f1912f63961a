// The sandbox phone opens a flow message: /sandbox/phone/flow/{wamid} shows the flow's screens
// from its stored Flow JSON (the published one, or the draft when the message was sent with mode
// "draft"), starting at the screen the message names with the data it gives. Each tap posts the
// screen's form; a Footer checks the fields as WhatsApp does; completing sends the business the
// nfm_reply with the complete action's payload and the message's flow_token, replying to the message.
// A flow message completes once (flow-completion.ts): once its nfm_reply is stored, the page says
// so and shows the response_json sent, and nothing more is sent.
//
// A flow with a data endpoint runs against it, as on WhatsApp (flow-endpoint.ts): a message sent
// with flow_action "data_exchange" opens with an INIT request, a data_exchange action sends the
// screen's payload, Back on a screen with refresh_on_back sends BACK; the endpoint's answer names
// the next screen, completes the flow (SUCCESS), or keeps the user on the screen with a message.
// What went wrong is said on the page, naming the endpoint's fault; the last exchange (decrypted
// request and answer, and the error notification sent after an invalid answer) is kept in the
// phone's session and shown in a panel on the flow's pages.
//
// A screen with a PhotoPicker or DocumentPicker posts a multipart form: the files picked become
// media of the number (flow-upload.ts), kept on the screen until the user unticks them, and go out
// as WhatsApp sends them (messaging/flows/flow-media.ts): in a data_exchange request's data, and in
// the nfm_reply's response_json on complete. The endpoint downloads them encrypted from their
// cdn_url (FLOW_MEDIA_PATH), as from WhatsApp's CDN.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { receiveInboundUnless } from '../../messaging/inbound.ts';
import { flowCompletion, type FlowCompletion } from '../../messaging/flows/flow-completion.ts';
import { flowOfMessage, flowUnavailable, type FlowMessageParams, type StoredFlow } from '../../messaging/flows/flow-message.ts';
import { flowParamsOfMessage } from '../../messaging/flows/template-flow.ts';
import type { ExchangeRecord } from '../../messaging/flows/endpoint-exchange.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { checkCsrf, updateSessionSubject } from '../sessions.ts';
import { renderPage } from '../render.ts';
import { findConversationMessage } from './conversation.ts';
import type { Form } from './actions.ts';
import { endpointStep, type EndpointFlow, type EndpointStep } from './flow-endpoint.ts';
import { decodeState, encodeState, goBack, openScreen, runAction, runSelect, screenOf, type ShownScreen } from './flow-run.ts';
import { parseFlowDoc, postedValues, type FlowDoc } from './flow-screen.ts';
import type { PhoneSession, PhoneState, PhoneUser } from './session.ts';
import { endpointMedia, responseMedia } from '../../messaging/flows/flow-media.ts';
import { RETENTION_MS, saveMedia } from '../../messaging/media/store.ts';
import type { Values } from './flow-expr.ts';
import { flowMediaRoutes, pickedRows, pickersOf, withPickedFiles } from './flow-picked.ts';
import { sizeText } from './flow-picker.ts';
import { readFlowPost, type FlowPost, type UploadTarget } from './flow-upload.ts';

const HOME = '/sandbox/phone';
/** Meta: the files a flow's response message carries: at most 10, at most 100 MiB in all. */
const MAX_REPLY_FILES = 10;
const MAX_REPLY_BYTES = 100 * 1024 * 1024;
const expired = () => new ApiError(403, 'This form has expired: reload the page and try again.');

export interface PhoneHelpers {
  state(request: FastifyRequest): Promise<PhoneState>;
  posted(request: FastifyRequest): Promise<{ s: PhoneState; form: Form }>;
}

interface Opened {
  channel: ChannelRow;
  user: PhoneUser;
  session: PhoneSession;
  messageId: string;
  params: FlowMessageParams;
  flowName: string;
  flow?: StoredFlow;
  doc?: FlowDoc;
  /** Why the flow cannot be run here (shown instead of its screens). */
  problem?: string;
  /** The flow message was completed already (its nfm_reply is stored): it cannot be completed again. */
  done?: FlowCompletion;
}

/** What a flow page shows beside the screen (or instead of it). */
interface PageParts {
  status?: number;
  problem?: string;
  /** What the flow's endpoint did wrong (an alert). */
  endpointError?: string;
  /** The endpoint completed the flow: the reply the business was sent. */
  completed?: { responseJson: string; note?: string };
  /** The flow was completed before: the reply sent then. */
  alreadyCompleted?: FlowCompletion;
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
    const done = await flowCompletion(deps.db.kysely, deps.db.kind, s.channel.id, user.waId, messageId);
    const base = { channel: s.channel, user, session: s.session!, messageId, params, flowName: flow?.name ?? params.ref, ...(flow ? { flow } : {}), ...(done ? { done } : {}) };
    const unavailable = flowUnavailable(flow, params);
    if (unavailable) return { ...base, problem: unavailable };
    const doc = parseFlowDoc(flow!.flow_json!);
    if (!doc || doc.screens.length === 0) return { ...base, problem: 'This flow has no screens the sandbox phone can show.' };
    return { ...base, doc };
  }

  /** The last exchange with the endpoint of this message's flow, if the session has one. */
  function lastExchange(o: Opened): ExchangeRecord | undefined {
    const x = o.session.subject.flowExchange;
    return x && x.messageId === o.messageId ? x.record : undefined;
  }

  function show(reply: FastifyReply, o: Opened, shown: ShownScreen | undefined, parts: PageParts = {}): FastifyReply {
    const title = parts.completed || parts.alreadyCompleted ? o.flowName : (shown?.screen.title ?? o.flowName);
    const exchange = lastExchange(o);
    return renderPage(
      reply,
      'phone/flow',
      {
        title: `Flow: ${title}`,
        styles: ['/assets/phone.css', '/assets/phone-flow.css'],
        scripts: ['/assets/phone-flow.js'],
        csrf: o.session.csrfToken,
        action: `${HOME}/flow/${encodeURIComponent(o.messageId)}`,
        flowName: o.flowName,
        screenTitle: title,
        problem: parts.problem ?? o.problem,
        endpointError: parts.endpointError,
        completed: parts.completed,
        alreadyCompleted: parts.alreadyCompleted,
        exchange,
        uploads: true,
        ...(shown
          ? {
              nodes: shown.built.nodes,
              state: encodeState(shown.state),
              canBack: shown.state.stack.length > 0,
              notice: shown.notice,
              error: shown.error,
              snackbar: shown.snackbar,
            }
          : {}),
      },
      parts.status ?? 200,
    );
  }

  /** The flow's endpoint, or why there is none to ask (the message starting as the phone has said it since before endpoints ran). */
  function endpointOf(o: Opened, why: string): EndpointFlow | string {
    if (!o.flow?.endpoint_uri) {
      const where = o.params.by === 'flow_json' ? 'an inline Flow JSON has no endpoint_uri' : `flow “${o.flowName}” has no endpoint_uri: set it (POST …/flows/${o.flow?.id ?? '{flow_id}'} with endpoint_uri) to where your endpoint listens`;
      return `This flow needs its data endpoint (${why}), but ${where}.`;
    }
    return { doc: o.doc!, endpointUri: o.flow.endpoint_uri, channel: { id: o.channel.id, phone_number: o.channel.phone_number }, flowToken: o.params.flowToken };
  }

  async function remember(o: Opened, record: ExchangeRecord): Promise<void> {
    await updateSessionSubject(deps, o.session, { ...o.session.subject, flowExchange: { messageId: o.messageId, record } });
  }

  /**
   * Sends the business the flow's reply (nfm_reply), answering the flow message, unless the flow
   * was completed meanwhile (another tab, a double submit): then that completion, nothing sent.
   */
  async function sendReply(o: Opened, responseJson: string): Promise<FlowCompletion | undefined> {
    const r = await receiveInboundUnless(
      deps,
      o.channel,
      {
        from: o.user.waId,
        name: o.user.name,
        type: 'interactive',
        content: { type: 'nfm_reply', nfm_reply: { name: 'flow', body: 'Sent', response_json: responseJson } },
        context: { from: o.channel.phone_number, id: o.messageId },
      },
      (tx) => flowCompletion(tx, deps.db.kind, o.channel.id, o.user.waId, o.messageId, { lock: true }),
    );
    return r.blocked;
  }

  /** The page of a flow completed before: what was sent then, and nothing more (409 for a post trying to go on). */
  const showDone = (reply: FastifyReply, o: Opened, done: FlowCompletion, status = 200) => show(reply, o, undefined, { alreadyCompleted: done, status });

  /**
   * The page after a step through the endpoint. `here` is the screen the user was on (undefined
   * for INIT): a failure keeps them there, with the fault said.
   */
  async function afterStep(reply: FastifyReply, o: Opened, step: EndpointStep, here: ShownScreen | undefined): Promise<FastifyReply> {
    await remember(o, step.record);
    switch (step.kind) {
      case 'show':
        return show(reply, o, step.shown);
      case 'complete': {
        const done = await sendReply(o, step.responseJson);
        if (done) return showDone(reply, o, done, 409);
        return show(reply, o, undefined, { completed: { responseJson: step.responseJson, ...(step.note ? { note: step.note } : {}) } });
      }
      case 'closed':
        return show(reply, o, undefined, { problem: `WhatsApp closed the flow: ${step.message}` });
      case 'failed':
        return show(reply, o, here, { endpointError: here ? step.message : `The flow could not open: ${step.message}` });
    }
  }

  app.get(`${HOME}/flow/:id`, async (request, reply) => {
    const o = await open(await h.state(request), idOf(request));
    if (o.done) return showDone(reply, o, o.done);
    if (!o.doc) return show(reply, o, undefined);
    // flow_action data_exchange: the first screen comes from the business's endpoint (INIT).
    if (o.params.action === 'data_exchange') {
      const ep = endpointOf(o, 'the message\'s flow_action is data_exchange: its first screen comes from the endpoint');
      if (typeof ep === 'string') return show(reply, o, undefined, { problem: ep });
      return afterStep(reply, o, await endpointStep(deps, ep, { action: 'INIT' }), undefined);
    }
    const first = o.params.screen !== undefined ? screenOf(o.doc, o.params.screen) : o.params.firstScreen ? o.doc.screens[0] : undefined;
    if (!first) return show(reply, o, undefined, { problem: `The message opens screen “${o.params.screen ?? ''}”, which this flow does not have.` });
    return show(reply, o, openScreen({ screen: first.id, data: o.params.data ?? {}, forms: {}, stack: [] }, first));
  });

  flowMediaRoutes(app, deps);

  /** The multipart post of a screen with a picker: its fields and its files, stored as they come. */
  async function postedWithFiles(request: FastifyRequest): Promise<{ s: PhoneState; form: Form; upload: FlowPost }> {
    const s = await h.state(request);
    const upload = await readFlowPost(deps, request, async (fields): Promise<UploadTarget> => {
      if (!checkCsrf(s.session, fields._csrf)) throw expired();
      const o = await open(s, idOf(request));
      const state = decodeState(fields._state);
      const screen = o.doc && !o.done && state ? screenOf(o.doc, state.screen) : undefined;
      return {
        // No screen (a completed flow, a stale page): no picker takes a file; the page says why after.
        pickers: screen && state ? pickersOf(screen, state) : new Map(),
        save: async (file, meta) => {
          const row = await saveMedia(deps, o.channel, file, { mime: meta.mime, filename: meta.filename, retentionMs: RETENTION_MS.cloud });
          return { id: row.id, name: meta.filename, size: Number(row.file_size), type: row.mime_type };
        },
      };
    });
    if (!checkCsrf(s.session, upload.form._csrf)) throw expired();
    return { s, form: upload.form, upload };
  }

  app.post(`${HOME}/flow/:id`, async (request, reply) => {
    const { s, form, upload } = request.isMultipart() ? await postedWithFiles(request) : { ...(await h.posted(request)), upload: undefined };
    const o = await open(s, idOf(request));
    if (o.done) return showDone(reply, o, o.done, 409);
    if (!o.doc) return show(reply, o, undefined);
    const decoded = decodeState(form._state);
    const screen = decoded && screenOf(o.doc, decoded.screen);
    if (!decoded || !screen) throw new ApiError(400, 'This flow page is out of date: open the flow again from the chat.');
    const refused = [...(upload?.refused ?? [])];
    const state = withPickedFiles(screen, decoded, form, upload?.uploaded, refused);
    if (form._back !== undefined) {
      // refresh_on_back: the endpoint gives the screen before (BACK); on the first screen, Back closes the flow.
      if (screen.refresh_on_back === true && state.stack.length > 0) {
        const here = openScreen(state, screen);
        const ep = endpointOf(o, `screen ${screen.id} has refresh_on_back: Back asks the endpoint for the screen before`);
        if (typeof ep === 'string') return show(reply, o, here, { endpointError: ep });
        return afterStep(reply, o, await endpointStep(deps, ep, { action: 'BACK', state, screen }), here);
      }
      const back = goBack(o.doc, state);
      if (!back) return reply.redirect(HOME, 303);
      return show(reply, o, back);
    }
    const values = postedValues(screen, form);
    /** The screen as posted (what was entered, the files attached), with a message. */
    const asPosted = (error: string, status: number) => {
      const shown = openScreen({ ...state, forms: { ...state.forms, [state.screen]: values } }, screen);
      return show(reply, o, { ...shown, error }, { status });
    };
    // A refused file stops the tap: the user sees what was not attached before anything is sent.
    if (refused.length > 0) return asPosted(refused.join(' '), 400);
    // A field's on-select-action / on-unselect-action (posted by the page's script on change, or the field's Apply button).
    const outcome =
      form._select !== undefined
        ? runSelect(o.doc, state, screen, values, form._select, o.params.flowToken, { dataExchange: true })
        : runAction(o.doc, state, screen, values, form._action, o.params.flowToken, { dataExchange: true });
    if (!outcome) throw new ApiError(400, form._select !== undefined ? 'That field is not on this screen, or runs no action when changed.' : 'That button is not on this screen.');
    if (outcome.kind === 'show') return show(reply, o, outcome.shown, { status: outcome.status });
    if (outcome.kind === 'exchange') {
      // The screen as the user left it, what they entered kept, for a failure to come back to.
      const here = openScreen({ ...state, forms: { ...state.forms, [state.screen]: outcome.entered } }, screen);
      const ep = endpointOf(o, form._select !== undefined ? "this field's on-select-action is data_exchange: its payload goes to the endpoint" : "this button's action is data_exchange: the screen's data goes to the endpoint");
      if (typeof ep === 'string') return show(reply, o, here, { endpointError: ep });
      let data = outcome.data;
      if (outcome.media) {
        // The picked files as WhatsApp hands them to the endpoint: media_id, cdn_url (encrypted), file_name, encryption_metadata.
        const found = await pickedRows(deps, o.channel.id, outcome.media);
        if ('problem' in found) return show(reply, o, { ...here, error: found.problem }, { status: 400 });
        data = { ...data };
        for (const [k, rows] of Object.entries(found.rows)) data[k] = await Promise.all(rows.map((r) => endpointMedia(deps, r)));
      }
      return afterStep(reply, o, await endpointStep(deps, ep, { action: 'data_exchange', state, screen, entered: outcome.entered }, data), here);
    }
    let responseJson = outcome.responseJson;
    if (outcome.media) {
      const found = await pickedRows(deps, o.channel.id, outcome.media);
      if ('problem' in found) return asPosted(found.problem, 400);
      const all = Object.values(found.rows).flat();
      const bytes = all.reduce((n, r) => n + Number(r.file_size), 0);
      // Meta: a flow's response message carries at most 10 files, 100 MiB in all (data_exchange takes up to 30 a picker).
      if (all.length > MAX_REPLY_FILES || bytes > MAX_REPLY_BYTES) {
        return asPosted(`WhatsApp attaches at most ${MAX_REPLY_FILES} files, ${sizeText(MAX_REPLY_BYTES)} in all, to a flow's response: this one has ${all.length} (${sizeText(bytes)}). Untick some.`, 400);
      }
      const body: Values = { ...(outcome.payload ?? {}) };
      for (const [k, rows] of Object.entries(found.rows)) body[k] = rows.map(responseMedia);
      responseJson = JSON.stringify({ flow_token: o.params.flowToken, ...body });
    }
    const done = await sendReply(o, responseJson);
    if (done) return showDone(reply, o, done, 409);
    return reply.redirect(HOME, 303);
  });
}
