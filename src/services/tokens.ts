// Bearer tokens for the Partner API: HS256 JWTs signed with a per-installation secret that
// lives in the database, so every instance accepts every other instance's tokens.
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Deps } from '../deps.ts';
import { newSecret } from '../crypto.ts';
import { findHubUser, type HubUser } from './hub-users.ts';
import { getOrCreateSetting } from './instance-settings.ts';

const ISSUER = 'openwaba';

const secrets = new WeakMap<Deps['db'], Promise<Uint8Array>>();
function signingKey(deps: Deps): Promise<Uint8Array> {
  let p = secrets.get(deps.db);
  if (!p) {
    p = getOrCreateSetting(deps, 'jwt_secret', () => newSecret(64)).then((s) => new TextEncoder().encode(s));
    p.catch(() => secrets.delete(deps.db));
    secrets.set(deps.db, p);
  }
  return p;
}

export interface IssuedToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

/** A refresh token lives this long (an access token: OPENWABA_TOKEN_TTL, 24 h by default). */
export const REFRESH_TTL_SECONDS = 30 * 24 * 60 * 60;

/** What a token is for: `access` tokens authorize requests, `refresh` tokens only get new ones. */
type TokenUse = 'access' | 'refresh';

async function sign(deps: Deps, user: HubUser, use: TokenUse, ttl: number): Promise<string> {
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  return new SignJWT({ partner_id: user.partner_id, username: user.username, ...(use === 'refresh' ? { use } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(user.id)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(newSecret(16))
    .sign(await signingKey(deps));
}

/**
 * An access token and a refresh token (the reference §1.1 answers both; a client that keeps the
 * refresh token gets a new pair with POST /api/v2/token {"refresh_token": …}, no password).
 */
export async function issueToken(deps: Deps, user: HubUser): Promise<IssuedToken> {
  const ttl = deps.config.tokenTtlSeconds;
  return { access_token: await sign(deps, user, 'access', ttl), token_type: 'bearer', expires_in: ttl, refresh_token: await sign(deps, user, 'refresh', REFRESH_TTL_SECONDS) };
}

/** The hub user a bearer (access) token stands for, or undefined if it is invalid, expired, orphaned or a refresh token. */
export function verifyToken(deps: Deps, token: string): Promise<HubUser | undefined> {
  return verify(deps, token, 'access');
}

/** The hub user a refresh token stands for, or undefined (an access token is no refresh token). */
export function verifyRefreshToken(deps: Deps, token: string): Promise<HubUser | undefined> {
  return verify(deps, token, 'refresh');
}

async function verify(deps: Deps, token: string, use: TokenUse): Promise<HubUser | undefined> {
  if (token.length > 4096) return undefined;
  try {
    const { payload } = await jwtVerify(token, await signingKey(deps), {
      issuer: ISSUER,
      algorithms: ['HS256'],
      currentDate: deps.clock.now(),
    });
    if (typeof payload.sub !== 'string') return undefined;
    // Access tokens carry no `use` claim (those issued before refresh tokens existed neither).
    if ((payload.use ?? 'access') !== use) return undefined;
    const user = await findHubUser(deps, payload.sub);
    if (!user || user.partner_id !== payload.partner_id) return undefined;
    return user;
  } catch (err) {
    if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return undefined;
    throw err;
  }
}
