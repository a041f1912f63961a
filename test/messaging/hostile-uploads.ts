// Hostile-input profiles of the Resumable Upload API (routes/resumable-upload.ts) for
// hostile-input.test.ts: POST /uploads (its parameters are the query: file_length, file_type,
// file_name), GET and POST /uploads/{upload_session} (`/upload:{session}` on the wire, rewritten
// before routing; POST's file_offset is a header). The Graph paths (/{version}/{app-id}/uploads,
// /{version}/upload:{session}) are not in the OpenAPI document the storm walks; uploads-hardening
// .test.ts sends them a sample of the same input.
import { writeFile } from 'node:fs/promises';
import { MAX_FILE_LENGTH, uploadFilePath } from '../../src/messaging/media/resumable.ts';
import type { EndpointProfile, PrepareEnv, PrepareRequest } from './hostile-endpoints.ts';
import type { HostileCase } from './hostile-bodies.ts';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const TYPES = ['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'];

/** A session of the key's channel, its file already complete (every POST with bytes is refused; GET answers it). */
async function completedSession(request: PrepareRequest, env: PrepareEnv): Promise<{ params: Record<string, string> }> {
  const res = await request('POST', `/uploads?file_name=hostile.png&file_length=${PNG.length}&file_type=image/png`);
  if (res.status !== 200) throw new Error(`upload session for the hostile storm: ${res.status} ${JSON.stringify(res.body)}`);
  const id = String(res.body.id).replace(/^upload:/, '');
  await writeFile(uploadFilePath(env.deps, id), PNG);
  await env.deps.db.kysely
    .updateTable('resumable_uploads')
    .set({ file_offset: PNG.length, handle: `4::aW1hZ2UvcG5n:hostile${id}`, completed_at: new Date().toISOString() })
    .where('id', '=', id)
    .execute();
  return { params: { upload_session: id } };
}

/** Query values POST /uploads may take (as the route receives them, decoded). */
// Empty is left out, which is taken (Odoo's Test Connection sends neither: media/resumable.ts).
const lengthOk = (v: string) => v === '' || (/^\d{1,12}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_FILE_LENGTH);
const typeOk = (v: string) => v === '' || TYPES.includes(v.trim().toLowerCase());

function createCases(): HostileCase[] {
  const q = (label: string, query: string, expect: HostileCase['expect'] = 'reject', headers: Record<string, string> = {}, body?: string | Buffer): HostileCase => ({ label, headers, body, query, expect });
  return [
    q('file_length 0', 'file_length=0'),
    q('file_length one over the limit', `file_length=${MAX_FILE_LENGTH + 1}`),
    q('file_length negative', 'file_length=-100'),
    q('file_length fractional', 'file_length=1.5'),
    q('file_length 999999999999', 'file_length=999999999999'),
    q('file_length with a unit', 'file_length=10kb'),
    q('file_type image/gif', 'file_type=image%2Fgif'),
    q('file_type with parameters', 'file_type=image%2Fpng%3B%20q%3D1'),
    q('file_type upper case', 'file_type=IMAGE%2FPNG', 'either'),
    q('file_name of 256 characters', `file_name=${'n'.repeat(256)}`),
    q('file_name with a lone surrogate byte sequence', 'file_name=a%ED%B0%80b', 'either'),
    q('file_name with a path', 'file_name=..%2F..%2Fetc%2Fpasswd', 'either'),
    // The body of a creation is ignored: a valid query may be taken whatever it carries.
    q('JSON body', 'file_name=a.png', 'either', { 'content-type': 'application/json' }, '{"file_length":-1}'),
    q('form body', 'file_name=a.png', 'either', { 'content-type': 'application/x-www-form-urlencoded' }, 'file_length=-1'),
    q('JSON body and a bad file_length', 'file_length=abc', 'reject', { 'content-type': 'application/json' }, '{"file_length":10}'),
  ];
}

function chunkCases(): HostileCase[] {
  const c = (label: string, offset: string | undefined, body: Buffer | string, ct = 'application/octet-stream', expect: HostileCase['expect'] = 'reject'): HostileCase => ({
    label,
    headers: { 'content-type': ct, ...(offset === undefined ? {} : { file_offset: offset }) },
    body,
    expect,
  });
  return [
    c('file_offset -1', '-1', PNG),
    c('file_offset non-numeric', 'abc', PNG),
    c('file_offset 1e309', '1e309', PNG),
    c('file_offset of 400 digits', '9'.repeat(400), PNG),
    c('file_offset 0x10', '0x10', PNG),
    c('file_offset past the file', '999999999999', PNG),
    c('file_offset -1 and no body', '-1', Buffer.alloc(0)),
    c('file_offset NaN and no body', 'NaN', Buffer.alloc(0)),
    // The completed file's retried last POST: its handle again.
    c('file_offset at the end, no body', String(PNG.length), Buffer.alloc(0), 'application/octet-stream', 'either'),
    c('JSON content type', '0', '{"file":"x"}', 'application/json'),
    c('multipart content type', '0', '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n', 'multipart/form-data; boundary=x'),
    c('content type of 3,000 characters', '0', PNG, `image/${'p'.repeat(3000)}`),
  ];
}

export function uploadEndpoints(): EndpointProfile[] {
  // On a channel of its own (creations); GET's session is made on the key its cases use.
  const isolated = true;
  return [
    {
      method: 'POST',
      path: '/uploads',
      flavour: 'cloud',
      body: 'none',
      isolated,
      query: { file_name: 'hostile.png', file_length: '1000', file_type: 'image/png' },
      // The whole-query oddities keep the valid parameters (taken); each parameter is judged below.
      queryExpect: 'either',
      queryAccepts: { file_name: (v) => v.length <= 255, file_length: lengthOk, file_type: typeOk },
      cases: createCases,
    },
    { method: 'GET', path: '/uploads/{upload_session}', flavour: 'cloud', body: 'none', isolated, params: { upload_session: 'A'.repeat(32) }, prepare: completedSession },
    {
      method: 'POST',
      path: '/uploads/{upload_session}',
      flavour: 'cloud',
      body: 'raw',
      // Not isolated: raw bodies rotate over the storm's upload keys; the other keys' cases find no
      // such session (400). Concurrent POSTs to this channel's session stop one another (a 400 for
      // the stopped one: resumable.ts takeOver).
      params: { upload_session: 'A'.repeat(32) },
      // The complete session's handle is answered again for an empty body (a retried last POST).
      mayAccept: (b) => b === undefined,
      cases: chunkCases,
      prepare: completedSession,
    },
  ];
}
