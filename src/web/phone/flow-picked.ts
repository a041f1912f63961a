// The files picked in a flow's PhotoPicker or DocumentPicker on the sandbox phone, between the
// page's posts and what is sent: each picker's limits (flow-picker.ts), the files it holds (kept
// from the screen's state while ticked, and those just uploaded), their stored media checked before
// anything goes out, and the CDN download of a file as a data_exchange request names it.
import { access } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.ts';
import { isPickerType } from '../../messaging/flows/flow-json-media.ts';
import { cdnHashValid, encryptedChunks, encryptedSize, FLOW_MEDIA_PATH, isPickedFile, type PickedFile } from '../../messaging/flows/flow-media.ts';
import { filePath, liveMedia, type MediaRow } from '../../messaging/media/store.ts';
import type { Form } from './actions.ts';
import { flag, type Values } from './flow-expr.ts';
import { pickerSpec, type PickerSpec } from './flow-picker.ts';
import { scopeOf, type FlowState } from './flow-run.ts';
import { allFields, initialValues, type ScreenDef } from './flow-screen.ts';
import type { FlowPost } from './flow-upload.ts';

/** The screen's pickers (every branch), with their limits. */
export function pickersOf(screen: ScreenDef, state: FlowState): Map<string, PickerSpec> {
  const scope = scopeOf(state, state.forms[state.screen] ?? {});
  const out = new Map<string, PickerSpec>();
  for (const c of allFields(screen.layout.children)) {
    if (isPickerType(c.type) && !out.has(c.name)) out.set(c.name, pickerSpec(c as typeof c & { type: 'PhotoPicker' | 'DocumentPicker' }, scope, flag(c.enabled, scope, true)));
  }
  return out;
}

/**
 * Each picker's files, put in the form as its value (`f.<name>`) and in the state's values of the
 * screen (so that the page carries them on): those the screen had and the user kept ticked, then
 * those just picked, at most max-uploaded-… in all (the rest refused, with a message).
 */
export function withPickedFiles(screen: ScreenDef, state: FlowState, form: Form, uploaded: FlowPost['uploaded'] | undefined, refused: string[]): FlowState {
  const pickers = pickersOf(screen, state);
  if (pickers.size === 0) return state;
  const before = state.forms[state.screen] ?? initialValues(screen, scopeOf(state, {}));
  const values: Values = { ...before };
  for (const [name, spec] of pickers) {
    const had = Array.isArray(before[name]) ? (before[name] as unknown[]).filter(isPickedFile) : [];
    const keep = form[`f.${name}.keep`];
    const ids = new Set((Array.isArray(keep) ? keep : keep === undefined ? [] : [keep]).filter((x): x is string => typeof x === 'string'));
    // A disabled picker's ticks are not posted (its fieldset is disabled): it keeps what it had.
    const kept = spec.enabled ? had.filter((f) => ids.has(f.id)) : had;
    const added = uploaded?.get(name) ?? [];
    const room = Math.max(0, spec.max - kept.length);
    if (added.length > room) {
      refused.push(`“${spec.label}” takes at most ${spec.max} ${spec.max === 1 ? spec.noun.slice(0, -1) : spec.noun} in all: ${added.slice(room).map((f) => f.name).join(', ')} not attached.`);
    }
    const files = [...kept, ...added.slice(0, room)];
    form[`f.${name}`] = files;
    values[name] = files.length > 0 ? files : undefined;
  }
  return { ...state, forms: { ...state.forms, [state.screen]: values } };
}

/** The stored media of picked files (the number's, still there), by payload property; or what is wrong. */
export async function pickedRows(deps: Deps, channelId: string, media: Record<string, PickedFile[]>): Promise<{ rows: Record<string, MediaRow[]> } | { problem: string }> {
  const rows: Record<string, MediaRow[]> = {};
  for (const [k, files] of Object.entries(media)) {
    rows[k] = [];
    for (const f of files) {
      const row = await liveMedia(deps, channelId, f.id);
      if (!row) return { problem: `${f.name} is no longer available (deleted, or expired): untick it and pick it again.` };
      rows[k].push(row);
    }
  }
  return { rows };
}

/** GET FLOW_MEDIA_PATH/{channel}/{media_id}?hash=…: the encrypted file (cdn_file), streamed as it is encrypted. */
export function flowMediaRoutes(app: FastifyInstance, deps: Deps): void {
  app.get(`${FLOW_MEDIA_PATH}/:channel/:media`, { schema: { hide: true } }, async (request, reply) => {
    const { channel, media } = request.params as { channel: string; media: string };
    const hash = (request.query as { hash?: unknown } | undefined)?.hash;
    const row = channel.length <= 64 ? await liveMedia(deps, channel, media) : undefined;
    const missing = () => reply.status(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found: this media is unknown, expired or deleted, or the URL is not the one given.');
    if (!row || !cdnHashValid(row, hash)) return missing();
    try {
      await access(filePath(deps, row.storage_key));
    } catch {
      return missing();
    }
    return reply
      .type('application/octet-stream')
      .header('content-length', String(encryptedSize(Number(row.file_size))))
      .header('cache-control', 'private, no-store')
      .send(Readable.from(encryptedChunks(deps, row)));
  });
}
