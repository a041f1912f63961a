// Browser sessions: a random id in an HttpOnly, SameSite=Lax cookie; the database keeps its
// SHA-256 hash, what it stands for, a CSRF token and an expiry. A session also carries flashes:
// results a form's POST hands to the page it redirects to (see putFlash).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { hashSecret, newSecret } from '../crypto.ts';
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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
  const { [FLASHES]: _flashes, ...subject } = JSON.parse(row.subject) as Record<string, unknown>;
  return { idHash: row.id_hash, kind, subject: subject as S, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

export async function updateSessionSubject<S>(deps: Deps, s: WebSession<S>, subject: S): Promise<void> {
  s.subject = subject;
  // Pending flashes stay (they are stored beside the subject).
  await editStored(deps, s.idHash, (stored) => ({ ...(subject as Record<string, unknown>), ...(stored[FLASHES] ? { [FLASHES]: stored[FLASHES] } : {}) }));
}

/*
 * Flashes (post/redirect/get). A POST that made something to show once (a new API key) does not
 * answer with that page: reloading it would post again, and its URL would answer 404. It puts the
 * result in a flash and answers 303 to a GET page, which takes the flash and shows it; a reload
 * finds none. A flash is stored beside the session's subject, sealed with AES-256-GCM under a key
 * derived from the session id in the browser's cookie, which the database does not hold (it keeps
 * the id's SHA-256): a secret never rests readable in the database, a URL or a cookie, and only
 * this browser's session can open it. Taken at most once (a compare-and-set on the row, so two
 * instances cannot both take it), and gone after FLASH_TTL_MS or with the session.
 */
const FLASHES = '_flashes';
export const FLASH_TTL_MS = 5 * 60_000;
/** Enough for a few tabs posting at once; the oldest go first. */
const MAX_FLASHES = 8;

interface StoredFlash {
  name: string;
  until: string;
  /** base64url of iv (12 bytes) ‖ GCM tag (16 bytes) ‖ ciphertext of the value's JSON. */
  sealed: string;
}

/** The sealing key of this request's session: from the raw id in its cookie, never stored. */
function flashKey(request: FastifyRequest, s: WebSession): Buffer {
  const id = request.cookies[COOKIE[s.kind]];
  if (!id || hashSecret(id) !== s.idHash) throw new Error("A flash needs the request's own session");
  return createHmac('sha256', id).update('openwaba web flash').digest();
}

/**
 * Rewrites the session row's stored JSON with `edit` (undefined: leave it) in one transaction that
 * holds the row (FOR UPDATE on PostgreSQL; SQLite's transactions take the write lock first), so a
 * request of the same session changing it meanwhile waits instead of being lost or losing ours.
 * (A compare-and-set retried a few times could give up, and a shown-once secret with it.)
 */
async function editStored(deps: Deps, idHash: string, edit: (stored: Record<string, unknown>) => Record<string, unknown> | undefined): Promise<boolean> {
  return deps.db.kysely.transaction().execute(async (tx) => {
    const q = tx.selectFrom('web_sessions').select('subject').where('id_hash', '=', idHash);
    const row = await (deps.db.kind === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
    if (!row) return false;
    const next = edit(JSON.parse(row.subject) as Record<string, unknown>);
    if (!next) return false;
    await tx.updateTable('web_sessions').set({ subject: JSON.stringify(next) }).where('id_hash', '=', idHash).execute();
    return true;
  });
}

function liveFlashes(stored: Record<string, unknown>, now: number): StoredFlash[] {
  const list = Array.isArray(stored[FLASHES]) ? (stored[FLASHES] as StoredFlash[]) : [];
  return list.filter((f) => Date.parse(f.until) > now);
}

/** Keeps `value` for the next page of this session that takes `name` (see above). */
export async function putFlash(deps: Deps, request: FastifyRequest, s: WebSession, name: string, value: unknown): Promise<void> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', flashKey(request, s), iv);
  cipher.setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  const now = deps.clock.now().getTime();
  const flash: StoredFlash = { name, until: new Date(now + FLASH_TTL_MS).toISOString(), sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url') };
  const stored = await editStored(deps, s.idHash, (st) => ({ ...st, [FLASHES]: [...liveFlashes(st, now).filter((f) => f.name !== name), flash].slice(-MAX_FLASHES) }));
  if (!stored) throw new Error('The session is gone');
}

/** The value put under `name` in this session, once; undefined when there is none (taken, expired). */
export async function takeFlash<T>(deps: Deps, request: FastifyRequest, s: WebSession, name: string): Promise<T | undefined> {
  const now = deps.clock.now().getTime();
  let taken: StoredFlash | undefined;
  const written = await editStored(deps, s.idHash, (st) => {
    const all = Array.isArray(st[FLASHES]) ? (st[FLASHES] as StoredFlash[]) : [];
    taken = liveFlashes(st, now).find((f) => f.name === name);
    // Expired ones are dropped on the way; nothing to write when there was nothing to drop.
    const rest = liveFlashes(st, now).filter((f) => f !== taken);
    if (!taken && rest.length === all.length) return undefined;
    const { [FLASHES]: _old, ...subject } = st;
    return rest.length ? { ...subject, [FLASHES]: rest } : subject;
  });
  if (!written || !taken) return undefined;
  try {
    const raw = Buffer.from(taken.sealed, 'base64url');
    if (raw.length < 28) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', flashKey(request, s), raw.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
  } catch {
    return undefined;
  }
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
