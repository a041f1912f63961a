// A WhatsApp Flow data endpoint for tests, written from Meta's "Implementing Endpoint for Flows"
// and its reference endpoint (WhatsApp-Flows-Tools, examples/endpoint/nodejs: encryption.js and
// server.js), not from openwaba's code: it holds its own RSA key pair, decrypts each request as
// the reference does (RSA-OAEP SHA-256 for the AES key; AES-128-GCM, the tag the last 16 bytes),
// checks X-Hub-Signature-256 when given the app secret (432 otherwise), answers 421 when it cannot
// decrypt, and encrypts its answers with the IV flipped (~byte), as text/plain base64. What it
// answers is scripted per test; every request is recorded, decrypted when it could be.
import crypto from 'node:crypto';
import type http from 'node:http';
import { LocalServer } from './local-server.ts';
import type { TestApp } from './app.ts';

export interface FlowRequest {
  version?: string;
  action?: string;
  screen?: string;
  data?: Record<string, unknown>;
  flow_token?: string;
}

export interface EndpointRequestRecord {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The decrypted payload, when it decrypted. */
  decrypted?: FlowRequest;
}

/** How to answer one request. */
export type EndpointReply =
  /** The JSON, encrypted as the reference does (or with the IV as it came: iv "same"), status 200 unless given. */
  | { json: unknown; status?: number; iv?: 'flipped' | 'same' }
  /** A raw answer: status, body (as given) and headers. */
  | { status: number; body?: string; headers?: Record<string, string> }
  /** No answer at all. */
  | { hang: true };

export interface RequestContext {
  aesKey: Buffer;
  iv: Buffer;
}

/** Meta's reference decryption (encryption.js decryptRequest). */
export function decryptRequest(body: Record<string, string>, privateKey: crypto.KeyObject) {
  const { encrypted_aes_key, encrypted_flow_data, initial_vector } = body;
  const aesKey = crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(encrypted_aes_key!, 'base64'));
  const flowData = Buffer.from(encrypted_flow_data!, 'base64');
  const iv = Buffer.from(initial_vector!, 'base64');
  const TAG_LENGTH = 16;
  const decipher = crypto.createDecipheriv('aes-128-gcm', aesKey, iv);
  decipher.setAuthTag(flowData.subarray(-TAG_LENGTH));
  const json = Buffer.concat([decipher.update(flowData.subarray(0, -TAG_LENGTH)), decipher.final()]).toString('utf-8');
  return { decrypted: JSON.parse(json) as FlowRequest, aesKey, iv };
}

/** Meta's reference encryption of a response (encryption.js encryptResponse): the IV's bytes flipped with ~. */
export function encryptResponse(response: unknown, aesKey: Buffer, iv: Buffer, flip = true): string {
  const flipped: number[] = [];
  for (const [, b] of iv.entries()) flipped.push(~b);
  const cipher = crypto.createCipheriv('aes-128-gcm', aesKey, flip ? Buffer.from(flipped) : iv);
  return Buffer.concat([cipher.update(JSON.stringify(response), 'utf-8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
}

export class FlowEndpoint extends LocalServer {
  readonly privateKey: crypto.KeyObject;
  readonly publicKeyPem: string;
  /** The Meta app secret the endpoint checks X-Hub-Signature-256 with (unset: no check, as the reference without APP_SECRET). */
  appSecret: string | undefined;
  readonly requests: EndpointRequestRecord[] = [];
  /** The answer to a request that decrypted. */
  handler: (req: FlowRequest, ctx: RequestContext) => EndpointReply | Promise<EndpointReply> = () => ({ status: 500, body: 'no handler' });
  /** The answer to a request that did not decrypt (the reference's 421). */
  onUndecryptable: () => EndpointReply | Promise<EndpointReply> = () => ({ status: 421 });
  private readonly hanging = new Set<http.ServerResponse>();

  constructor() {
    super();
    const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** The requests that decrypted, in order. */
  decrypted(): FlowRequest[] {
    return this.requests.flatMap((r) => (r.decrypted ? [r.decrypted] : []));
  }

  private signatureValid(req: http.IncomingMessage, raw: string): boolean {
    if (!this.appSecret) return true;
    const header = req.headers['x-hub-signature-256'];
    if (typeof header !== 'string') return false;
    const signature = Buffer.from(header.replace('sha256=', ''), 'utf-8');
    const digest = Buffer.from(crypto.createHmac('sha256', this.appSecret).update(raw).digest('hex'), 'utf-8');
    return signature.length === digest.length && crypto.timingSafeEqual(digest, signature);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.answer(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        // A test's handler that throws: the endpoint answers 500, as an endpoint's framework would.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`handler failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const record: EndpointRequestRecord = { path: req.url ?? '', headers: req.headers, body: raw };
    this.requests.push(record);
    let reply: EndpointReply;
    let ctx: RequestContext | undefined;
    if (!this.signatureValid(req, raw)) reply = { status: 432 };
    else {
      try {
        const d = decryptRequest(JSON.parse(raw) as Record<string, string>, this.privateKey);
        record.decrypted = d.decrypted;
        ctx = { aesKey: d.aesKey, iv: d.iv };
      } catch {
        ctx = undefined;
      }
      reply = ctx ? await this.handler(record.decrypted!, ctx) : await this.onUndecryptable();
    }
    this.arrived();
    if ('hang' in reply) {
      this.hanging.add(res);
      return;
    }
    if ('json' in reply) {
      if (!ctx) throw new Error('an encrypted answer needs a request that decrypted');
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' });
      res.end(encryptResponse(reply.json, ctx.aesKey, ctx.iv, reply.iv !== 'same'));
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'text/plain', ...(reply.headers ?? {}) });
    res.end(reply.body ?? '');
  }

  /** Resolves once n requests in total have arrived. */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitForCount(() => this.requests.length, n, timeoutMs, () => `flow endpoint: ${this.requests.length}/${n} requests after ${timeoutMs} ms`);
  }

  override async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    await super.close();
  }
}

/**
 * Makes the endpoint's public key the number's business key (POST /whatsapp_business_encryption,
 * form-encoded as Meta's docs show it): the phone then encrypts its flow requests to this endpoint.
 */
export async function useAsBusinessKey(t: TestApp, channelApiKey: string, endpoint: FlowEndpoint): Promise<void> {
  const res = await t.post('/whatsapp_business_encryption', {
    headers: { 'D360-API-KEY': channelApiKey, 'content-type': 'application/x-www-form-urlencoded' },
    raw: new URLSearchParams({ business_public_key: endpoint.publicKeyPem }).toString(),
  });
  if (res.status !== 200) throw new Error(`business key upload: ${res.status} ${res.text}`);
}
