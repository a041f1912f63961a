// pino options for request logs: headers are logged, credentials never are.
import type { FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { LogLevel } from '../config.ts';

export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers["d360-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.api_key',
  '*.access_token',
  '*.token',
  '*.secret',
];

export function loggerOptions(level: LogLevel, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: { method: string; url: string; headers: Record<string, unknown>; ip?: string; socket?: { remoteAddress?: string } }) {
        return {
          method: req.method,
          // Query strings can carry filters with e-mail addresses; keep the path and its query.
          url: req.url,
          headers: { ...req.headers },
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        };
      },
    },
  } as FastifyServerOptions['logger'];
}
