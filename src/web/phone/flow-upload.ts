// The sandbox phone's flow page with a PhotoPicker or DocumentPicker posts a multipart form
// (enctype multipart/form-data, without JavaScript as with it): the screen's fields as text parts,
// and the picked files. The text parts that come before the first file (the page puts the CSRF token
// and the flow's state first) say which screen the files are for; each file then streams to a
// temporary file under its picker's limits — its type among the picker's, at most max-file-size-kb,
// at most max-uploaded-… files — and becomes media of the number (messaging/media/store.ts), as
// WhatsApp uploads a picked file when it is picked. No file is held in memory: every byte goes to
// disk as it comes (messaging/media/intake.ts), and a refused file is read to its end and dropped,
// so the rest of the form still arrives and the page can say what was refused.
//
// A post carries at most MAX_POST_FILE_BYTES of files: Meta's own cap on the files of a flow's
// response message (100 MiB), and what the sandbox takes in one page post.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { MAX_FILE_SIZE_KB, MAX_UPLOADS } from '../../messaging/flows/flow-json-media.ts';
import type { PickedFile } from '../../messaging/flows/flow-media.ts';
import { discard, receiveToTempFile, type Received } from '../../messaging/media/intake.ts';
import { tmpDir } from '../../messaging/media/store.ts';
import type { Form } from './actions.ts';
import { essenceOf, sizeText, type PickerSpec } from './flow-picker.ts';

export const MAX_POST_FILE_BYTES = 100 * 1024 * 1024;
/** Room for the form's text fields (the state among them, at most 60,000 characters), boundaries and part headers. */
const OVERHEAD = 512 * 1024;

export interface UploadTarget {
  /** The screen's pickers, by name. */
  pickers: Map<string, PickerSpec>;
  /** Keeps a received file as the number's media. */
  save(file: Received, meta: { mime: string; filename: string }): Promise<PickedFile>;
}

export interface FlowPost {
  /** The text fields, as @fastify/formbody gives a urlencoded form (a repeated name: an array). */
  form: Form;
  /** The files stored, by picker name. */
  uploaded: Map<string, PickedFile[]>;
  /** The files refused, each with why (said on the page). */
  refused: string[];
}

class FileRefused extends Error {}

const tooLarge = () => new ApiError(413, `The files are too large: the sandbox phone takes at most ${sizeText(MAX_POST_FILE_BYTES)} of files in one post.`);

/** A picked file's name as kept: its last path segment, no control characters, at most 240 characters. */
export function cleanFileName(raw: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  const base = path.posix.basename((raw ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base.slice(0, 240) || 'file';
}

function addField(form: Form, name: string, value: string): void {
  const before = form[name];
  if (before === undefined) form[name] = value;
  else if (Array.isArray(before)) before.push(value);
  else form[name] = [before as string, value];
}

/** The multipart errors of @fastify/multipart as page messages. */
function multipartError(err: unknown): unknown {
  if (err instanceof ApiError || err instanceof FileRefused) return err;
  switch ((err as { code?: string })?.code) {
    case 'FST_FILES_LIMIT':
      return new ApiError(413, `Too many files in one post: at most ${MAX_UPLOADS} are taken.`);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new ApiError(413, 'This form has too many fields.');
    case 'FST_PROTO_VIOLATION':
      return new ApiError(400, 'A form field has a reserved name.');
  }
  return new ApiError(400, `This form could not be read (a malformed multipart body): ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
}

/**
 * Reads the multipart flow form. `begin` is called with the text fields read so far when the first
 * file arrives (and only then): it checks the CSRF token and the state, and names the screen's
 * pickers; what it throws is thrown once the body is read.
 */
export async function readFlowPost(deps: Deps, request: FastifyRequest, begin: (form: Form) => Promise<UploadTarget>): Promise<FlowPost> {
  if (Number(request.headers['content-length']) > MAX_POST_FILE_BYTES + OVERHEAD) {
    discard(request.raw, () => request.raw.destroy());
    throw tooLarge();
  }
  const form: Form = {};
  const uploaded = new Map<string, PickedFile[]>();
  const refused: string[] = [];
  let target: UploadTarget | undefined;
  let failed: unknown;
  let total = 0;
  try {
    // throwFileSizeLimit off: a file over the largest size a picker takes ends truncated and is refused by its own picker's limit, the form read on.
    const options = {
      limits: { files: MAX_UPLOADS + 2, fields: 400, parts: 500, fieldSize: 64 * 1024, fileSize: MAX_FILE_SIZE_KB * 1024 + 1 },
      throwFileSizeLimit: false,
    };
    const parts = request.parts(options as Parameters<FastifyRequest['parts']>[0]);
    for await (const part of parts) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') addField(form, part.fieldname, part.value);
        continue;
      }
      const file = part.file;
      // An empty file input still sends its part: no name, no bytes.
      if (!part.filename || failed !== undefined) {
        file.resume();
        continue;
      }
      if (!target) {
        try {
          target = await begin(form);
        } catch (err) {
          failed = err;
          file.resume();
          continue;
        }
      }
      const name = part.fieldname.startsWith('f.') ? part.fieldname.slice(2) : part.fieldname;
      const fileName = cleanFileName(part.filename);
      const spec = target.pickers.get(name);
      const list = uploaded.get(name) ?? [];
      const mime = essenceOf(part.mimetype ?? '');
      const refuse = (why: string) => {
        refused.push(why);
        file.resume();
      };
      if (!spec) {
        refuse(`${fileName} was sent for “${name.slice(0, 60)}”, which is no picker of this screen: not attached.`);
        continue;
      }
      if (!spec.enabled) {
        refuse(`“${spec.label}” is disabled: ${fileName} was not attached.`);
        continue;
      }
      if (list.length >= spec.max) {
        refuse(`“${spec.label}” takes at most ${spec.max} ${spec.max === 1 ? spec.noun.slice(0, -1) : spec.noun}: ${fileName} was not attached.`);
        continue;
      }
      if (!spec.mimeTypes.includes(mime)) {
        const kinds = spec.type === 'PhotoPicker' ? 'photos (JPEG, PNG, WebP, HEIC, GIF, AVIF or TIFF images)' : `documents of the types ${spec.mimeTypes.join(', ')}`;
        refuse(`“${spec.label}” takes ${kinds}: ${fileName} is ${mime || 'of no declared type'}, and was not attached.`);
        continue;
      }
      let received: Received;
      try {
        received = await receiveToTempFile(
          file,
          tmpDir(deps),
          (_head, size) =>
            size > spec.maxBytes
              ? new FileRefused(`“${spec.label}” takes files of at most ${sizeText(spec.maxBytes)} (max-file-size-kb): ${fileName} is larger, and was not attached.`)
              : total + size > MAX_POST_FILE_BYTES
                ? new FileRefused(`${fileName} was not attached: the sandbox phone takes at most ${sizeText(MAX_POST_FILE_BYTES)} of files in one post.`)
                : undefined,
          // A refused file is read to its end (and dropped), never cut: the rest of the form must still come.
          () => file.resume(),
        );
      } catch (err) {
        if (err instanceof FileRefused) {
          refused.push(err.message);
          continue;
        }
        throw err;
      }
      if (received.size === 0) {
        await rm(received.tmpPath, { force: true });
        refused.push(`${fileName} is empty: not attached.`);
        continue;
      }
      total += received.size;
      try {
        list.push(await target.save(received, { mime, filename: fileName }));
      } catch (err) {
        await rm(received.tmpPath, { force: true });
        throw err;
      }
      uploaded.set(name, list);
    }
  } catch (err) {
    throw multipartError(err);
  }
  if (failed !== undefined) throw failed;
  return { form, uploaded, refused };
}
