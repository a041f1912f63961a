// Requests Node's HTTP parser refuses before any route sees them (malformed request line or
// headers, headers too large, headers too slow) are answered in the error format of the API the
// request was for, with `Connection: close`, and their connection ends.
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { RawConnection, sendRaw } from './helpers/raw-http.ts';
import { sleep } from './helpers/wait.ts';
import { apiOfPath, requestPathOf } from '../src/http/client-errors.ts';

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await startTestApp('sqlite');
  port = Number(new URL(t.baseUrl).port);
});
afterAll(() => t?.close());

/** A request whose one header holds a control character (llhttp: "Invalid header value char"). */
const badHeader = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x01b\r\n\r\n`;
/** A request whose headers are over Node's 16 KB limit. */
const hugeHeader = (path: string) => `GET ${path} HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;

describe('malformed requests, in the format of their API', () => {
  it('Partner API (/api/v2): {"meta":{success:false, http_code, developer_message}}', async () => {
    const res = await sendRaw(port, badHeader('/api/v2/partners/x/channels'));
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      meta: { success: false, http_code: 400, developer_message: 'Malformed HTTP request: Invalid header value char' },
    });
    expect(res.closed).toBe(true);
  });

  it('an invalid character in the request target of a Partner API path', async () => {
    const res = await sendRaw(port, 'GET /api/v2/partners\x7f HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).meta).toMatchObject({ success: false, http_code: 400 });
    expect(JSON.parse(res.body).meta.developer_message).toMatch(/^Malformed HTTP request: /);
  });

  it('On-Premise (/v1/…): {"errors":[{code,title,details,href}],"meta":{api_status,version}}', async () => {
    const res = await sendRaw(port, badHeader('/v1/messages'));
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
    const body = JSON.parse(res.body);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ code: expect.any(Number), title: expect.any(String), details: 'Malformed HTTP request: Invalid header value char' });
    expect(body.errors[0].href).toMatch(/^https:\/\//);
    expect(body.meta).toMatchObject({ api_status: 'stable' });
    expect(res.closed).toBe(true);
  });

  it('Cloud (/messages, /{media_id}): Meta-style {"error":{message,type,code:100,error_data,fbtrace_id}}', async () => {
    for (const path of ['/messages', '/1234567890', '/message_templates?limit=5']) {
      const res = await sendRaw(port, badHeader(path));
      expect(res.status, path).toBe(400);
      expect(res.headers['connection']).toBe('close');
      const { error } = JSON.parse(res.body);
      expect(error, path).toMatchObject({
        code: 100,
        type: 'OAuthException',
        error_data: { messaging_product: 'whatsapp', details: 'Malformed HTTP request: Invalid header value char' },
      });
      expect(error.message).toBe('(#100) Invalid parameter');
      expect(error.fbtrace_id).toEqual(expect.any(String));
    }
  });

  it('pages (/hub, /sandbox/phone, onboarding): a short plain-text answer', async () => {
    for (const path of ['/hub/partner/p1/channels', '/sandbox/phone', '/dashboard/app/p1/permissions', '/']) {
      const res = await sendRaw(port, badHeader(path));
      expect(res.status, path).toBe(400);
      expect(res.headers['connection']).toBe('close');
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).toBe('400 Bad Request: Malformed HTTP request: Invalid header value char\n');
    }
  });

  it('anything else, or no readable request line: a neutral {"error": …}', async () => {
    for (const [data, message] of [
      ['GARBAGE\r\n\r\n', 'Malformed HTTP request: Invalid method encountered'],
      [badHeader('/health'), 'Malformed HTTP request: Invalid header value char'],
      [badHeader('/nowhere/at/all'), 'Malformed HTTP request: Invalid header value char'],
    ] as const) {
      const res = await sendRaw(port, data);
      expect(res.status, data).toBe(400);
      expect(res.headers['connection']).toBe('close');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body), data).toEqual({ error: message });
      expect(res.closed).toBe(true);
    }
  });

  it('a malformed request after a good one on a keep-alive connection is answered in its own API format', async () => {
    const conn = await RawConnection.open(port);
    try {
      conn.send('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect((await conn.response()).status).toBe(200);
      conn.send(badHeader('/api/v2/partners'));
      const res = await conn.response();
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).meta).toMatchObject({ success: false, http_code: 400 });
      expect(await conn.closedWithin(3_000)).toBe(true);
    } finally {
      conn.destroy();
    }
  });

  it('pipelined in one write behind a request still being answered: the good one gets its own answer first, then the error', async () => {
    const conn = await RawConnection.open(port);
    try {
      // One chunk: Node hands the first request to its (async) handler and meets the bad one
      // before that handler has answered.
      conn.send('GET /ready HTTP/1.1\r\nHost: localhost\r\n\r\n' + badHeader('/v1/messages'));
      const first = await conn.response();
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body)).toEqual({ status: 'ready' });
      const second = await conn.response();
      expect(second.status).toBe(400);
      expect(JSON.parse(second.body).errors[0].details).toBe('Malformed HTTP request: Invalid header value char');
      expect(await conn.closedWithin(3_000)).toBe(true);
    } finally {
      conn.destroy();
    }
  });
});

describe('headers over the size limit: 431', () => {
  it('Cloud, On-Premise and Partner API each in their own format', async () => {
    const cloud = await sendRaw(port, hugeHeader('/messages'));
    expect(cloud.status).toBe(431);
    expect(cloud.headers['connection']).toBe('close');
    expect(JSON.parse(cloud.body).error).toMatchObject({ code: 100, error_data: { details: 'The request line and headers are too large' } });
    expect(cloud.closed).toBe(true);

    const onprem = await sendRaw(port, hugeHeader('/v1/contacts'));
    expect(onprem.status).toBe(431);
    expect(JSON.parse(onprem.body).errors[0].details).toBe('The request line and headers are too large');

    const partner = await sendRaw(port, hugeHeader('/api/v2/partners'));
    expect(partner.status).toBe(431);
    expect(JSON.parse(partner.body).meta).toEqual({ success: false, http_code: 431, developer_message: 'The request line and headers are too large' });
  });

  it('the answer reaches a client that is still sending a much larger header and reads it a little later', async () => {
    // Closed at once (as Fastify's default does), the socket still holding unread bytes would send
    // a reset, and the client would lose the answer it had not read yet.
    const conn = await RawConnection.open(port);
    try {
      conn.socket.pause();
      conn.send(hugeHeader('/v1/messages').replace('a'.repeat(20_000), 'a'.repeat(4_000_000)));
      await sleep(200);
      conn.socket.resume();
      const res = await conn.response();
      expect(res.status).toBe(431);
      expect(JSON.parse(res.body).errors[0].details).toBe('The request line and headers are too large');
    } finally {
      conn.destroy();
    }
  });
});

describe('errors Node raises on an open connection', () => {
  /** The server's side of a new connection, and the client's. */
  async function connectionPair(): Promise<{ server: net.Socket; client: RawConnection }> {
    const serverSide = new Promise<net.Socket>((resolve) => t.app.server.once('connection', resolve));
    const client = await RawConnection.open(port);
    return { server: await serverSide, client };
  }

  it('a request whose headers did not arrive in time (Node: ERR_HTTP_REQUEST_TIMEOUT) gets 408', async () => {
    const { server, client } = await connectionPair();
    try {
      client.send('GET /v1/messages HTTP/1.1\r\nHost: local');
      // What Node's headersTimeout check emits (after 60 s by default): no rawPacket, so no known API.
      t.app.server.emit('clientError', Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), server);
      const res = await client.response();
      expect(res.status).toBe(408);
      expect(res.headers['connection']).toBe('close');
      expect(JSON.parse(res.body)).toEqual({ error: 'The request did not arrive in time' });
      expect(await client.closedWithin(3_000)).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('never throws: an error without code or packet is a neutral 400; a second report for the same socket writes nothing more', async () => {
    const { server, client } = await connectionPair();
    try {
      const odd = Object.assign(new Error('odd'), { rawPacket: { type: 'Buffer', data: [1, 2, 3] } });
      expect(() => t.app.server.emit('clientError', odd, server)).not.toThrow();
      expect(() => t.app.server.emit('clientError', odd, server)).not.toThrow();
      const res = await client.response();
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({ error: 'Malformed HTTP request: unreadable' });
      expect(await client.closedWithin(3_000)).toBe(true);
      expect(client.received).toBe('');
    } finally {
      client.destroy();
    }
  });

  it('a socket that can no longer be written to is only closed', async () => {
    const { server, client } = await connectionPair();
    try {
      server.end();
      expect(server.writable).toBe(false);
      expect(() => t.app.server.emit('clientError', Object.assign(new Error('x'), { code: 'HPE_INVALID_METHOD' }), server)).not.toThrow();
      expect(server.destroyed).toBe(true);
      expect(await client.closedWithin(3_000)).toBe(true);
      expect(client.received).toBe('');
    } finally {
      client.destroy();
    }
  });
});

describe('reading the request target', () => {
  it('apiOfPath: pages and our own endpoints are not taken for Cloud /{media_id}', () => {
    expect(apiOfPath('/api/v2')).toBe('partner');
    expect(apiOfPath('/api/v2/partners/x')).toBe('partner');
    expect(apiOfPath('/admin/partners')).toBe('partner');
    expect(apiOfPath('/v1/messages')).toBe('onpremise');
    expect(apiOfPath('/messages')).toBe('cloud');
    expect(apiOfPath('/sandbox/v1/inbound')).toBe('cloud');
    expect(apiOfPath('/123456')).toBe('cloud');
    expect(apiOfPath('/hub')).toBe('page');
    expect(apiOfPath('/sandbox/phone/messages')).toBe('page');
    expect(apiOfPath('/docs')).toBe('page');
    expect(apiOfPath('/health')).toBe('other');
    expect(apiOfPath('/metrics')).toBe('other');
    expect(apiOfPath('/api/v20')).not.toBe('partner');
  });

  it('requestPathOf: the request line the error is in, its path without query; absolute form; nothing from a non-buffer', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(requestPathOf(b('POST /v1/messages?x=1 HTTP/1.1\r\nHost: a\r\n\r\n'))).toBe('/v1/messages');
    expect(requestPathOf(b('GET http://example.test/api/v2/partners HTTP/1.1\r\n'))).toBe('/api/v2/partners');
    expect(requestPathOf(b('GET * HTTP/1.1\r\n'))).toBeUndefined();
    expect(requestPathOf(b('aaaaaaaaaaaaaaaaaaaa\r\n\r\n'))).toBeUndefined();
    expect(requestPathOf({ type: 'Buffer', data: [] })).toBeUndefined();
    expect(requestPathOf(undefined)).toBeUndefined();
    // Pipelined: the chunk holds a good request, then the bad one the parser stopped in.
    const two = 'GET /health HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/contacts HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n';
    expect(requestPathOf(b(two), two.indexOf('\x01'))).toBe('/v1/contacts');
    expect(requestPathOf(b(two), 5)).toBe('/health');
  });

  it('errors Fastify raises before routing (an undecodable URL) use the same mapping: pages are not Cloud', async () => {
    const page = await fetch(`${t.baseUrl}/hub/partner/%ZZ`);
    expect(page.status).toBe(400);
    expect(await page.json()).toEqual({ error: expect.any(String) });
    const partner = await fetch(`${t.baseUrl}/api/v2/partners/%ZZ`);
    expect(partner.status).toBe(400);
    expect(((await partner.json()) as { meta: unknown }).meta).toMatchObject({ success: false, http_code: 400 });
    const cloud = await fetch(`${t.baseUrl}/%ZZ`);
    expect(cloud.status).toBe(400);
    expect(((await cloud.json()) as { error: unknown }).error).toMatchObject({ code: expect.any(Number), fbtrace_id: expect.any(String) });
  });
});
