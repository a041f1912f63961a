// Template create and edit parameters as Graph takes them: a JSON body, or the parameters in the
// query string, a form (application/x-www-form-urlencoded) or a multipart body, where the
// structured ones arrive as text: `components` the JSON of the array (Weni's marketplace posts
// `params=dict(name, category, components=json.dumps(…), language, access_token)` with no body;
// Meta's older template docs show `curl -F 'components=[…]'`), booleans and numbers as words.
// graphParams (the query, the body over it, access_token dropped) gathers them; this turns the
// text back into what the JSON body would have carried, so the same checks decide.
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { graphBool, graphParams } from '../graph-params.ts';
import { invalidParameter } from '../errors.ts';
import { multipartLimitError } from '../media/multipart-errors.ts';
import { fail, isObj, type Obj } from '../validate/check.ts';

/** The most a multipart field (or a `components` sent as a file part) may hold. */
export const MAX_TEMPLATE_FIELD_BYTES = 512 * 1024;
/** The most all of a multipart body's fields may hold together: the app's JSON body limit (app.ts bodyLimit), which multipart escapes. */
export const MAX_TEMPLATE_BODY_BYTES = 1024 * 1024;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** A multipart body's fields; `components` may also come as a (JSON) file part. */
async function multipartFields(request: FastifyRequest): Promise<Obj> {
  const out: Obj = {};
  const tooLarge = () => new ApiError(413, `a template field may be at most ${MAX_TEMPLATE_FIELD_BYTES} bytes`);
  const bodyTooLarge = () => new ApiError(413, `a template's fields may be at most ${MAX_TEMPLATE_BODY_BYTES} bytes together`);
  let total = 0;
  // Counted as each part arrives: the 30 fields may not hold 30 × 512 KB in memory before the body is refused.
  const count = (n: number) => {
    total += n;
    if (total > MAX_TEMPLATE_BODY_BYTES) throw bodyTooLarge();
  };
  try {
    for await (const part of request.parts({ limits: { files: 1, fields: 30, parts: 31, fieldSize: MAX_TEMPLATE_FIELD_BYTES, fileSize: MAX_TEMPLATE_FIELD_BYTES } })) {
      if (RESERVED.has(part.fieldname)) throw invalidParameter('a form field has a reserved name');
      if (part.type === 'field') {
        if (part.valueTruncated) throw tooLarge();
        count(part.fieldname.length + (typeof part.value === 'string' ? Buffer.byteLength(part.value) : 0));
        out[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'components') {
        part.file.resume();
        throw invalidParameter(`${part.fieldname.slice(0, 40)}: unexpected file field; only components may be sent as a file (its JSON)`);
      }
      const buf = await part.toBuffer();
      if (part.file.truncated) throw tooLarge();
      count(buf.length);
      out.components = buf.toString('utf8');
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw (
      multipartLimitError(err, ['name', 'category', 'language', 'components'], tooLarge) ??
      invalidParameter(`malformed multipart body: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`)
    );
  }
  return out;
}

/** A structured parameter sent as JSON text: parsed, or a 400 naming it. */
function jsonParam(v: unknown, field: string, what: string): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch (err) {
    throw fail(field, `must be ${what}; as a query, form or multipart parameter, its JSON text (${(err as Error).message.slice(0, 120)})`);
  }
}

/**
 * The parameters of a template create or edit (POST /{waba-id}/message_templates, POST
 * /{template-id}) from wherever the client put them. A JSON body reads as before (with query
 * parameters under it); text values of the structured fields are converted.
 */
export async function templateParams(request: FastifyRequest): Promise<Obj> {
  let params: Obj;
  if (request.isMultipart()) {
    const fields = await multipartFields(request);
    params = { ...(isObj(request.query) ? request.query : {}), ...fields };
    delete params.access_token;
  } else {
    params = graphParams(request);
  }
  if (typeof params.components === 'string') params.components = jsonParam(params.components, 'components', 'a JSON array of the template components');
  if (typeof params.allow_category_change === 'string') params.allow_category_change = graphBool(params.allow_category_change, 'allow_category_change');
  const ttl = params.message_send_ttl_seconds;
  if (typeof ttl === 'string') {
    if (!/^-?\d{1,10}$/.test(ttl.trim())) throw fail('message_send_ttl_seconds', 'must be a whole number of seconds');
    params.message_send_ttl_seconds = Number(ttl.trim());
  }
  return params;
}
