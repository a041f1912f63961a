// A template's FLOW button must name, by flow_id or flow_name, a flow of the template's WABA (and
// of its partner): Meta refuses a template whose button names a flow the WABA does not have, and
// so does openwaba, whatever another WABA holds under that id. A DEPRECATED flow cannot be
// attached either; a DRAFT or PUBLISHED one can. An inline flow (flow_json) is not looked up.
// When the button names a navigate_screen and the flow has a stored Flow JSON that passed its
// validation, the screen must be one of that JSON's screens; a flow without a (valid) asset is
// not checked for screens. The error is the validator's own (code 100, naming the field), so each
// API renders it in its format. Runs after the components were validated (their shape is known).
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { flowsOf, validationErrorsOf, type FlowScope } from '../flows/store.ts';
import { fail, isObj } from '../validate/check.ts';

interface FlowButtonRef {
  /** The button's field path in the request, e.g. components[2].buttons[0]. */
  field: string;
  by: 'flow_id' | 'flow_name';
  value: string;
  screen?: string;
}

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);

/** The FLOW buttons of a request's (already validated) components that name a stored flow. */
function flowButtonRefs(components: unknown): FlowButtonRef[] {
  const refs: FlowButtonRef[] = [];
  if (!Array.isArray(components)) return refs;
  components.forEach((c: unknown, i) => {
    if (!isObj(c) || upper(c.type) !== 'BUTTONS' || !Array.isArray(c.buttons)) return;
    c.buttons.forEach((b: unknown, j) => {
      if (!isObj(b) || upper(b.type) !== 'FLOW') return;
      const by = b.flow_id !== undefined ? 'flow_id' : b.flow_name !== undefined ? 'flow_name' : undefined;
      if (!by) return;
      const screen = typeof b.navigate_screen === 'string' ? b.navigate_screen : undefined;
      refs.push({ field: `components[${i}].buttons[${j}]`, by, value: String(b[by]), screen });
    });
  });
  return refs;
}

/** The screen ids of a stored Flow JSON, or undefined when it has none to compare with. */
function screensOf(flowJson: string): string[] | undefined {
  try {
    const doc: unknown = JSON.parse(flowJson);
    if (!isObj(doc) || !Array.isArray(doc.screens)) return undefined;
    const ids = doc.screens.flatMap((s: unknown) => (isObj(s) && typeof s.id === 'string' ? [s.id] : []));
    return ids.length > 0 ? ids : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses (400, naming the field) a FLOW button whose flow_id or flow_name is not an attachable flow of the scope. */
export async function checkFlowButtons(deps: Deps, scope: FlowScope, components: unknown, tx: Executor = deps.db.kysely): Promise<void> {
  for (const ref of flowButtonRefs(components)) {
    const field = `${ref.field}.${ref.by}`;
    const flow = await flowsOf(scope, tx)
      .select(['id', 'name', 'status', 'validation_errors'])
      .where(ref.by === 'flow_id' ? 'id' : 'name', '=', ref.value)
      .executeTakeFirst();
    if (!flow) {
      const which = ref.by === 'flow_id' ? `no flow ${ref.value.slice(0, 64)}` : `no flow named "${ref.value.slice(0, 100)}"`;
      throw fail(field, `${which} in this WhatsApp Business Account; create the flow first`);
    }
    if (flow.status === 'DEPRECATED') {
      throw fail(field, `flow ${flow.id} ("${flow.name.slice(0, 100)}") is DEPRECATED; a deprecated flow cannot be attached to a template`);
    }
    if (ref.screen === undefined || validationErrorsOf(flow).length > 0) continue;
    const asset = await flowsOf(scope, tx).select('flow_json').where('id', '=', flow.id).executeTakeFirst();
    const screens = asset?.flow_json ? screensOf(asset.flow_json) : undefined;
    if (screens && !screens.includes(ref.screen)) {
      const listed = screens.slice(0, 20).join(', ') + (screens.length > 20 ? ', …' : '');
      throw fail(`${ref.field}.navigate_screen`, `flow ${flow.id} has no screen "${ref.screen.slice(0, 100)}" (its screens: ${listed})`);
    }
  }
}
