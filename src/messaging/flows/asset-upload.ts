// Reading a Flow JSON upload (POST …/flows/{flow_id}/assets): multipart/form-data with the file in
// `file`, `name` (Meta's docs say "flow.json") and `asset_type=FLOW_JSON`, in any order. The file
// is read into memory up to MAX_FLOW_JSON_BYTES and no further: the part that crosses the limit
// ends the upload with a 413, and the rest of the body is discarded (then the connection is cut).
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors.ts';
import { invalidParameter } from '../errors.ts';
import { discard } from '../media/intake.ts';
import { formatBytes } from '../media/types.ts';
import { multipartLimitError } from '../media/multipart-errors.ts';
import { MAX_FLOW_JSON_BYTES } from './flow-json.ts';

/** Room for the multipart boundaries, part headers and the two small fields around the file. */
const MULTIPART_OVERHEAD = 64 * 1024;
const FIELDS = ['name', 'asset_type'];

export interface FlowAssetUpload {
  file: Buffer;
  name: string;
}

const tooLarge = () => new ApiError(413, `file: a Flow JSON file may be at most ${formatBytes(MAX_FLOW_JSON_BYTES)} (${MAX_FLOW_JSON_BYTES} bytes)`);

/** @fastify/multipart's own limit and format errors, in this API's words. */
function multipartError(err: unknown): unknown {
  const coded = multipartLimitError(err, FIELDS, tooLarge);
  if (coded) return coded;
  // Only the form is read where this is called: anything else thrown is the parser's word on a
  // malformed body ("Unexpected end of form", "Malformed part header", …), the client's mistake.
  if (err instanceof ApiError) return err;
  return invalidParameter(`malformed multipart body: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
}

/** Discards what is left of a refused request's body (so the client reads the answer). */
export function discardBody(request: FastifyRequest): void {
  discard(request.raw, () => request.raw.destroy());
}

export async function readFlowAssetUpload(request: FastifyRequest): Promise<FlowAssetUpload> {
  if (!request.isMultipart()) {
    throw invalidParameter('Content-Type must be multipart/form-data with the fields file (the Flow JSON), name and asset_type=FLOW_JSON');
  }
  if (Number(request.headers['content-length']) > MAX_FLOW_JSON_BYTES + MULTIPART_OVERHEAD) throw tooLarge();
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  try {
    const parts = request.parts({ limits: { files: 1, fields: 6, parts: 8, fieldSize: 1024, fileSize: MAX_FLOW_JSON_BYTES } });
    for await (const part of parts) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw invalidParameter(`${part.fieldname.slice(0, 40)}: unexpected file field; the Flow JSON goes in the field "file"`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        size += chunk.length;
        chunks.push(chunk);
      }
      // The stream stops at the limit and marks itself truncated (throwFileSizeLimit covers toBuffer only).
      if (part.file.truncated || size > MAX_FLOW_JSON_BYTES) throw tooLarge();
      file = Buffer.concat(chunks, size);
    }
  } catch (err) {
    throw multipartError(err);
  }
  if (fields.asset_type === undefined) throw invalidParameter('asset_type: is required and must be FLOW_JSON');
  if (fields.asset_type !== 'FLOW_JSON') throw invalidParameter(`asset_type: must be FLOW_JSON (got "${fields.asset_type.slice(0, 40)}")`);
  if (!file) throw invalidParameter('file: is required: the Flow JSON as a multipart file field named "file"');
  if (file.length === 0) throw invalidParameter('file: the file is empty');
  // Meta's docs ask for "flow.json"; any other name is kept as given rather than refused, since
  // clients send their own file's name and Meta's answer to one is not documented.
  const name = (fields.name ?? 'flow.json').trim();
  if (name === '' || name.length > 200 || name.includes('\u0000')) throw invalidParameter('name: must be the asset\'s file name, e.g. "flow.json" (at most 200 characters)');
  return { file, name };
}
