// A flow's preview page (/flows/preview/{token}): the link of Meta's `preview` field
// (messaging/flows/preview.ts). It shows the flow's current Flow JSON with the sandbox phone's flow
// renderer, from the first screen, each screen's data taken from its `__example__` values (as
// Meta's preview does without an endpoint). Its screens are navigable; completing shows what the
// flow would answer and sends nothing.
//
// No login, as Meta's link needs none: the token is the only key, and it opens only its flow (the
// page names no WABA, partner or number). The page writes nothing: its form posts between screens
// carry only the screen state and the values typed (no session, no CSRF token, nothing secret), and
// are answered with the next screen. An unknown or expired token is a 404 page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { flowOfPreviewToken, PREVIEW_PATH, type StoredFlowForPreview } from '../messaging/flows/preview.ts';
import { renderPage } from './render.ts';
import { decodeState, encodeState, goBack, openScreen, runAction, runSelect, screenOf, type ShownScreen } from './phone/flow-run.ts';
import { parseFlowDoc, postedValues, type FlowDoc, type ScreenDef } from './phone/flow-screen.ts';
import type { Form } from './phone/actions.ts';

export const PREVIEW_FLOW_TOKEN = 'preview';
export const NOTHING_SENT = 'This is a preview: nothing is sent.';

interface Opened {
  token: string;
  flow: StoredFlowForPreview;
  doc?: FlowDoc;
  problem?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A screen's data from the `__example__` of each of its data fields. */
export function exampleData(screen: ScreenDef): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(isObj(screen.data) ? screen.data : {})) if (isObj(v) && v.__example__ !== undefined) out[k] = v.__example__;
  return out;
}

export function flowPreviewRoutes(app: FastifyInstance, deps: Deps): void {
  async function open(request: FastifyRequest): Promise<Opened> {
    const token = (request.params as { token: string }).token;
    const flow = await flowOfPreviewToken(deps, token);
    if (!flow) throw new ApiError(404, 'This preview link is unknown or has expired.');
    if (flow.flow_json === null) return { token, flow, problem: 'This flow has no Flow JSON yet.' };
    const doc = parseFlowDoc(flow.flow_json);
    if (!doc || doc.screens.length === 0) return { token, flow, problem: 'This flow has no screens to show.' };
    return { token, flow, doc };
  }

  function show(reply: FastifyReply, o: Opened, shown: ShownScreen | undefined, status = 200, notice?: string): FastifyReply {
    const title = shown?.screen.title ?? o.flow.name;
    reply.header('x-robots-tag', 'noindex, nofollow');
    return renderPage(
      reply,
      'phone/flow',
      {
        title: `Flow preview: ${title}`,
        styles: ['/assets/phone.css', '/assets/phone-flow.css'],
        scripts: ['/assets/phone-flow.js'],
        action: `${PREVIEW_PATH}/${o.token}`,
        closeHref: '',
        preview: true,
        flowName: o.flow.name,
        screenTitle: title,
        problem: notice ?? o.problem,
        ...(shown ? { nodes: shown.built.nodes, state: encodeState(shown.state), canBack: shown.state.stack.length > 0, notice: shown.notice, error: shown.error } : {}),
      },
      status,
    );
  }

  /** A screen opened by navigation: its example data under the data the action gave it. */
  const withExamples = (shown: ShownScreen): ShownScreen => openScreen({ ...shown.state, data: { ...exampleData(shown.screen), ...shown.state.data } }, shown.screen);

  app.get(`${PREVIEW_PATH}/:token`, { schema: { hide: true } }, async (request, reply) => {
    const o = await open(request);
    if (!o.doc) return show(reply, o, undefined);
    const first = o.doc.screens[0]!;
    return show(reply, o, openScreen({ screen: first.id, data: exampleData(first), forms: {}, stack: [] }, first));
  });

  app.post(`${PREVIEW_PATH}/:token`, { schema: { hide: true } }, async (request, reply) => {
    const o = await open(request);
    if (!o.doc) return show(reply, o, undefined);
    const form: Form = isObj(request.body) ? (request.body as Form) : {};
    const state = decodeState(form._state);
    const screen = state && screenOf(o.doc, state.screen);
    if (!state || !screen) throw new ApiError(400, 'This preview page is out of date: open the preview link again.');
    if (form._back !== undefined) {
      const back = goBack(o.doc, state);
      if (!back) return reply.redirect(`${PREVIEW_PATH}/${o.token}`, 303);
      return show(reply, o, back);
    }
    const outcome =
      form._select !== undefined
        ? runSelect(o.doc, state, screen, postedValues(screen, form), form._select, PREVIEW_FLOW_TOKEN)
        : runAction(o.doc, state, screen, postedValues(screen, form), form._action, PREVIEW_FLOW_TOKEN);
    if (!outcome) throw new ApiError(400, form._select !== undefined ? 'That field is not on this screen, or runs no action when changed.' : 'That button is not on this screen.');
    if (outcome.kind === 'show') {
      // navigate made a new stack; update_data and the notices keep the screen's.
      const navigated = outcome.shown.state.stack !== state.stack;
      return show(reply, o, navigated ? withExamples(outcome.shown) : outcome.shown, outcome.status);
    }
    const answer = outcome.responseJson.length > 2000 ? `${outcome.responseJson.slice(0, 1999)}…` : outcome.responseJson;
    return show(reply, o, undefined, 200, `${NOTHING_SENT} The flow would answer: ${answer}`);
  });
}
