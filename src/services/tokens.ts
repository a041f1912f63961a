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
}

export async function issueToken(deps: Deps, user: HubUser): Promise<IssuedToken> {
  const now = Math.floor(deps.clock.now().getTime() / 1000);
  const ttl = deps.config.tokenTtlSeconds;
  const token = await new SignJWT({ partner_id: user.partner_id, username: user.username })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setSubject(user.id)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(newSecret(16))
    .sign(await signingKey(deps));
  return { access_token: token, token_type: 'bearer', expires_in: ttl };
}

/** The hub user a bearer token stands for, or undefined if it is invalid, expired or orphaned. */
export async function verifyToken(deps: Deps, token: string): Promise<HubUser | undefined> {
  if (token.length > 4096) return undefined;
  try {
    const { payload } = await jwtVerify(token, await signingKey(deps), {
      issuer: ISSUER,
      algorithms: ['HS256'],
      currentDate: deps.clock.now(),
    });
    if (typeof payload.sub !== 'string') return undefined;
    const user = await findHubUser(deps, payload.sub);
    if (!user || user.partner_id !== payload.partner_id) return undefined;
    return user;
  } catch (err) {
    if (err instanceof joseErrors.JOSEError || err instanceof TypeError) return undefined;
    throw err;
  }
}
