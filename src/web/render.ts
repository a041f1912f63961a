// Server-rendered pages with Eta: `<%= %>` escapes by default (autoEscape), `<%~ %>` is reserved
// for HTML we built ourselves (never for user input).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';

const views = path.join(path.dirname(fileURLToPath(import.meta.url)), 'views');
export const eta = new Eta({ views, autoEscape: true, cache: true, autoTrim: [false, 'nl'] });

export interface PageData {
  title: string;
  /** The signed-in partner, for the Hub's navigation. */
  partnerId?: string;
  csrf?: string;
  /** Which navigation entry is active. */
  nav?: string;
  [key: string]: unknown;
}

export function renderPage(reply: FastifyReply, view: string, data: PageData, status = 200): FastifyReply {
  const html = eta.render(view, data);
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'")
    .send(html);
}
