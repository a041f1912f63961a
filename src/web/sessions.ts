// Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie; the database keeps its
// SHA-256 hash, what it stands for, a CSRF token and an expiry.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { hashSecret, newSecret } from '../crypto.ts';
import { timingSafeEqual } from 'node:crypto';

export type SessionKind = 'hub' | 'onboarding' | 'phone';

export interface WebSession<S = unknown> {
  idHash: string;
  kind: SessionKind;
  subject: S;
  csrfToken: string;
  expiresAt: string;
}

const COOKIE: Record<SessionKind, string> = { hub: 'ow_hub', onboarding: 'ow_onb', phone: 'ow_phone' };
const TTL_MS: Record<SessionKind, number> = { hub: 12 * 3600_000, onboarding: 2 * 3600_000, phone: 12 * 3600_000 };

function cookieOptions(deps: Deps, kind: SessionKind) {
  return {
    path: kind === 'hub' ? '/hub' : kind === 'phone' ? '/sandbox/phone' : '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.config.publicUrl.startsWith('https:'),
    maxAge: Math.floor(TTL_MS[kind] / 1000),
  };
}

export async function createSession<S>(deps: Deps, reply: FastifyReply, kind: SessionKind, subject: S): Promise<WebSession<S>> {
  const id = newSecret(43);
  const now = deps.clock.now();
  const s: WebSession<S> = {
    idHash: hashSecret(id),
    kind,
    subject,
    csrfToken: newSecret(32),
    expiresAt: new Date(now.getTime() + TTL_MS[kind]).toISOString(),
  };
  await deps.db.kysely
    .insertInto('web_sessions')
    .values({ id_hash: s.idHash, kind, subject: JSON.stringify(subject), csrf_token: s.csrfToken, created_at: now.toISOString(), expires_at: s.expiresAt })
    .execute();
  reply.setCookie(COOKIE[kind], id, cookieOptions(deps, kind));
  return s;
}

export async function readSession<S>(deps: Deps, request: FastifyRequest, kind: SessionKind): Promise<WebSession<S> | undefined> {
  const id = request.cookies[COOKIE[kind]];
  if (!id || id.length > 200) return undefined;
  const row = await deps.db.kysely.selectFrom('web_sessions').selectAll().where('id_hash', '=', hashSecret(id)).where('kind', '=', kind).executeTakeFirst();
  if (!row || Date.parse(row.expires_at) <= deps.clock.now().getTime()) return undefined;
  return { idHash: row.id_hash, kind, subject: JSON.parse(row.subject) as S, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function updateSessionSubject<S>(deps: Deps, s: WebSession<S>, subject: S): Promise<void> {
  s.subject = subject;
  await deps.db.kysely.updateTable('web_sessions').set({ subject: JSON.stringify(subject) }).where('id_hash', '=', s.idHash).execute();
}

export async function destroySession(deps: Deps, reply: FastifyReply, s: WebSession | undefined, kind: SessionKind): Promise<void> {
  if (s) await deps.db.kysely.deleteFrom('web_sessions').where('id_hash', '=', s.idHash).execute();
  reply.clearCookie(COOKIE[kind], { path: cookieOptions(deps, kind).path });
}

/** Every form carries `_csrf`; it must equal the session's token (constant-time compare). */
export function checkCsrf(s: WebSession | undefined, presented: unknown): boolean {
  if (!s || typeof presented !== 'string') return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(s.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function pruneSessions(deps: Deps): Promise<void> {
  await deps.db.kysely.deleteFrom('web_sessions').where('expires_at', '<', deps.clock.now().toISOString()).execute();
}
