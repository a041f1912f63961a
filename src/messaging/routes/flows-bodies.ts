// The request bodies of the WhatsApp Flows routes of the Messaging API (routes/flows.ts) beyond
// the app's JSON parser: a multipart creation's fields, and the body as Meta's JSON takes it.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { invalidParameter } from '../errors.ts';
import { multipartLimitError } from '../media/multipart-errors.ts';
import { convertFormTypes } from '../../partner-api/form-body.ts';
import { MAX_FLOW_JSON_BYTES } from '../flows/flow-json.ts';
import { CreateFormFields } from './flows-schemas.ts';

// ---- request bodies: JSON, form, multipart ----

/** A multipart creation's fields (flow_json may also come as a file), converted like a form's. */
export async function readMultipartFields(request: FastifyRequest): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const tooLarge = () => new ApiError(413, `flow_json: the Flow JSON may be at most ${MAX_FLOW_JSON_BYTES} bytes`);
  try {
    for await (const part of request.parts({ limits: { files: 1, fields: 12, parts: 13, fieldSize: MAX_FLOW_JSON_BYTES, fileSize: MAX_FLOW_JSON_BYTES } })) {
      if (part.fieldname === '__proto__' || part.fieldname === 'constructor' || part.fieldname === 'prototype') throw invalidParameter('a form field has a reserved name');
      if (part.type === 'field') {
        body[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'flow_json') {
        part.file.resume();
        throw invalidParameter(`${part.fieldname.slice(0, 40)}: unexpected file field; only flow_json may be sent as a file`);
      }
      const buf = await part.toBuffer();
      if (part.file.truncated) throw tooLarge();
      body.flow_json = buf.toString('utf8');
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw multipartLimitError(err, ['name', 'categories', 'flow_json', 'publish', 'clone_flow_id', 'endpoint_uri'], tooLarge) ?? invalidParameter(`malformed multipart body: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
  }
  convertFormTypes(CreateFormFields, body);
  return body;
}

/** Meta takes categories as an array, or (form clients) the array as a JSON string: Meta's JSON body gets the array. */
export function forMeta(body: Record<string, unknown>): Record<string, unknown> {
  if (typeof body.categories !== 'string') return body;
  try {
    const parsed: unknown = JSON.parse(body.categories);
    return Array.isArray(parsed) ? { ...body, categories: parsed } : body;
  } catch {
    return body;
  }
}
