// Who is calling the Partner API: a partner API key (X-API-Key) or a bearer token.
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { resolvePartnerApiKey } from '../services/partner-api-keys.ts';
import { verifyToken } from '../services/tokens.ts';

export interface PartnerPrincipal {
  partnerId: string;
  via: 'api_key' | 'token';
  /** The partner API key's id, or the hub user's id. */
  credentialId: string;
  /** For created_by / modified_by. */
  actor: { user_id: string; user_name: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    partner: PartnerPrincipal | null;
  }
}

export async function authenticatePartner(deps: Deps, request: FastifyRequest): Promise<PartnerPrincipal> {
  const apiKey = request.headers['x-api-key'];
  const authorization = request.headers.authorization;
  if (typeof apiKey === 'string' && apiKey !== '') {
    const found = await resolvePartnerApiKey(deps, apiKey.trim());
    if (!found) throw new ApiError(401, 'Invalid API key');
    return { partnerId: found.partnerId, via: 'api_key', credentialId: found.keyId, actor: { user_id: found.keyId, user_name: 'api_key' } };
  }
  if (typeof authorization === 'string' && authorization !== '') {
    const m = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new ApiError(401, 'Authorization header must be "Bearer <token>"');
    const user = await verifyToken(deps, m[1]!);
    if (!user) throw new ApiError(401, 'Invalid or expired token');
    return { partnerId: user.partner_id, via: 'token', credentialId: user.id, actor: { user_id: user.id, user_name: user.username } };
  }
  throw new ApiError(401, 'Missing credentials: send X-API-Key or Authorization: Bearer <token>');
}

/** The principal of an authenticated request, checked against the partner id in the path. */
export function requirePartner(request: FastifyRequest, partnerId: string): PartnerPrincipal {
  const p = request.partner;
  if (!p) throw new ApiError(401, 'Missing credentials');
  if (p.partnerId !== partnerId) throw new ApiError(403, `Permission denied for partner ${partnerId}`);
  return p;
}
