// The request logger's own censoring (src/http/logging.ts): secret fields never reach a log line,
// whatever object carries them, and what is not secret is logged as it was.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { censorSecrets, loggerOptions } from '../src/http/logging.ts';

/** A logger built from loggerOptions (as Fastify builds it), writing its lines into an array. */
function capture(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      out.push(String(chunk));
      cb();
    },
  });
  const opts = loggerOptions('info') as pino.LoggerOptions;
  const log = pino({ ...opts, serializers: { ...pino.stdSerializers, ...opts.serializers } }, stream);
  return { log, lines: () => out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log censoring', () => {
  it('censors secret fields at the top of a line and one level down, and nothing else', () => {
    const { log, lines } = capture();
    log.info({ password: 'pw-top', partner: { id: 'P1', api_key: 'key-1', name: 'n' }, list: ['token'], n: 3 }, 'first');
    log.info({ user: { access_token: 'at-1', token: 'tk-1', secret: 's-1' } }, 'second');
    const [first, second] = lines();
    expect(first).toMatchObject({ msg: 'first', password: '[redacted]', partner: { id: 'P1', api_key: '[redacted]', name: 'n' }, list: ['token'], n: 3 });
    expect(second).toMatchObject({ user: { access_token: '[redacted]', token: '[redacted]', secret: '[redacted]' } });
    const all = JSON.stringify(lines());
    for (const secret of ['pw-top', 'key-1', 'at-1', 'tk-1', 's-1']) expect(all).not.toContain(secret);
  });

  it('keeps an Error an Error: its message and stack are logged, its secret property is not', () => {
    const { log, lines } = capture();
    const err = Object.assign(new Error('upstream refused'), { token: 'tk-err', status: 502 });
    log.error({ err }, 'failed');
    const [line] = lines();
    const logged = line!.err as Record<string, unknown>;
    expect(logged.message).toBe('upstream refused');
    expect(logged.type).toBe('Error');
    expect(String(logged.stack)).toContain('upstream refused');
    expect(logged.status).toBe(502);
    expect(logged.token).toBe('[redacted]');
    // The caller's object is left as it was.
    expect(err.token).toBe('tk-err');
  });

  it('logs a request with its allowlisted headers and censored credentials', () => {
    const { log, lines } = capture();
    const req = { method: 'POST', url: '/messages', ip: '127.0.0.1', headers: { host: 'h', 'd360-api-key': 'k-secret', cookie: 'c=1', 'x-custom-signature': 'sig' } };
    log.info({ req, res: { statusCode: 200 } }, 'request completed');
    const [line] = lines();
    expect(line!.req).toEqual({ method: 'POST', url: '/messages', remoteAddress: '127.0.0.1', headers: { host: 'h', 'd360-api-key': '[redacted]', cookie: '[redacted]' } });
  });

  it("censors the query's tokens and secrets: access_token, (hub.)verify_token, client_secret (also percent-encoded)", () => {
    const { log, lines } = capture();
    const urls = [
      '/v21.0/oauth/access_token?grant_type=client_credentials&client_id=123&client_secret=cs-1',
      '/v21.0/oauth/access_token?client%5Fsecret=cs-2&client_id=123',
      '/v21.0/123/subscriptions?object=whatsapp_business_account&verify_token=vt&access_token=at-2',
      '/network/meta/webhook?hub.mode=subscribe&hub%2Everify_token=vt-3&hub.challenge=1',
      // Any letter of the name percent-encoded (the query parser decodes it, and auth then takes it).
      '/v21.0/123/messages?%61ccess_token=at-4&x=1',
      '/v21.0/oauth/access_token?%63lient_secret=cs-5&client_id=123',
      '/v21.0/123/messages?ACCESS_TOKEN=at-6',
      // A flow preview link's path is its token, whatever its query says.
      '/flows/preview/tok-7?flow_token=x',
    ];
    for (const url of urls) log.info({ req: { method: 'GET', url, headers: {} }, res: { statusCode: 200 } }, 'request completed');
    const logged = lines().map((l) => (l.req as { url: string }).url);
    expect(logged).toEqual([
      '/v21.0/oauth/access_token?grant_type=client_credentials&client_id=123&client_secret=[redacted]',
      '/v21.0/oauth/access_token?client%5Fsecret=[redacted]&client_id=123',
      '/v21.0/123/subscriptions?object=whatsapp_business_account&verify_token=[redacted]&access_token=[redacted]',
      '/network/meta/webhook?hub.mode=subscribe&hub%2Everify_token=[redacted]&hub.challenge=1',
      '/v21.0/123/messages?%61ccess_token=[redacted]&x=1',
      '/v21.0/oauth/access_token?%63lient_secret=[redacted]&client_id=123',
      '/v21.0/123/messages?ACCESS_TOKEN=[redacted]',
      '/flows/preview/[redacted]',
    ]);
    expect(JSON.stringify(lines())).not.toMatch(/at-4|cs-5|at-6|tok-7/);
  });

  it('returns the same object when there is nothing to censor (no copy per line)', () => {
    const obj = { req: { method: 'GET' }, res: { statusCode: 200 }, responseTime: 1 };
    expect(censorSecrets(obj)).toBe(obj);
  });
});
