// The number's business public key for WhatsApp Flows: POST /whatsapp_business_encryption sets it
// (form field business_public_key, a PEM RSA public key), GET reads it back in Meta's shape
// `{data:[{business_public_key, business_public_key_signature_status}]}`. Meta's docs send the
// field form-encoded, 360dialog's clients as multipart (curl -F, the key pasted or as a file);
// a JSON body is taken too. Meta signs the key; the sandbox's signature is always VALID. A number
// without a key answers `{data: []}` (Meta's answer for that case is not documented).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { ApiError } from '../../errors.ts';
import { invalidParameter } from '../errors.ts';
import { isObj } from '../validate/check.ts';
import { MAX_PUBLIC_KEY_CHARS, businessPublicKey, parseBusinessPublicKey, saveBusinessPublicKey } from '../flows/business-key.ts';
import { discardBody } from '../flows/asset-upload.ts';
import { multipartLimitError } from '../media/multipart-errors.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const PATH = '/whatsapp_business_encryption';
/** The form around the key: boundaries, part headers, the field name. */
const BODY_LIMIT = MAX_PUBLIC_KEY_CHARS + 4 * 1024;
const KeyInfo = Type.Object({ business_public_key: Type.String(), business_public_key_signature_status: Type.String({ description: 'VALID | MISMATCH' }) });

/** business_public_key from a multipart form: a field, or a small file part. */
async function fromMultipart(request: FastifyRequest): Promise<unknown> {
  let value: unknown;
  try {
    for await (const part of request.parts({ limits: { files: 1, fields: 4, parts: 5, fieldSize: MAX_PUBLIC_KEY_CHARS + 1, fileSize: MAX_PUBLIC_KEY_CHARS + 1 } })) {
      if (part.fieldname !== 'business_public_key') {
        if (part.type === 'file') part.file.resume();
        continue;
      }
      if (part.type === 'field') value = part.value;
      else {
        const bytes = await part.toBuffer();
        value = bytes.toString('utf8');
      }
    }
  } catch (err) {
    const coded = multipartLimitError(err, ['business_public_key'], () => invalidParameter(`business_public_key: must be at most ${MAX_PUBLIC_KEY_CHARS} characters`));
    if (coded) throw coded;
    if (err instanceof ApiError) throw err;
    // Only the form is read here: what the parser throws is its word on a malformed body.
    throw invalidParameter(`malformed form: ${err instanceof Error ? err.message.slice(0, 200) : 'unreadable'}`);
  }
  // fieldSize truncates a field instead of failing: one a character over the limit is refused by the length check.
  return value;
}

export const encryptionRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: BODY_LIMIT });
    await scope.register(multipart);

    scope.post(
      PATH,
      {
        config: { flavour: 'cloud' },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['Channel'],
          summary: "Set the number's business public key for WhatsApp Flows (form field business_public_key: a 2048-bit RSA public key in PEM)",
          description:
            "The sandbox phone encrypts what a flow sent from this number asks its data endpoint with it, as WhatsApp does (each request's AES-128 key, RSA-OAEP with SHA-256); an endpoint answering 421 makes it read the key again and retry once.",
          security,
          consumes: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
          response: { 200: Type.Object({ success: Type.Boolean() }) },
        },
      },
      async (request) => {
        let raw: unknown;
        try {
          // bodyLimit covers parsed bodies only; a multipart form is read as a stream: refuse an
          // announced oversized one before reading it, as the Flow JSON upload does.
          if (Number(request.headers['content-length'] ?? 0) > BODY_LIMIT) throw new ApiError(413, `the form may be at most ${BODY_LIMIT} bytes`);
          if (request.isMultipart()) raw = await fromMultipart(request);
          else if (isObj(request.body)) raw = request.body.business_public_key;
          else if (request.body !== undefined) throw invalidParameter('body: must be a form (or JSON object) with the field business_public_key');
        } catch (err) {
          discardBody(request);
          throw err;
        }
        await saveBusinessPublicKey(deps, request.channel!, parseBusinessPublicKey(raw));
        return { success: true };
      },
    );
  });

  app.get(
    PATH,
    {
      config: { flavour: 'cloud' },
      schema: { tags: ['Channel'], summary: "The number's business public key for WhatsApp Flows", security, response: { 200: Type.Object({ data: Type.Array(KeyInfo) }) } },
    },
    async (request) => {
      const key = await businessPublicKey(deps, request.channel!.id);
      return { data: key === undefined ? [] : [{ business_public_key: key, business_public_key_signature_status: 'VALID' }] };
    },
  );
};
