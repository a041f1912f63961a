// The way back to the partner at the end of Integrated Onboarding (reference §3): where the
// browser may be sent, and the URL it is sent to (?client=…&channels=[…]).
//
// Reference §3 [DOC] makes the partner's `partner_redirect_url` a prerequisite ("Having a Redirect
// URL set is required to use Integrated Onboarding"; without one 360dialog shows the client an
// error), and says it must be the page that hosts the connect button. That URL is the partner's
// own, set with its credentials (PATCH /partners/{id} or the Hub); the link's `redirect_url` is
// not: anyone can craft a link. So a link's `redirect_url` is honoured only on the origin of the
// partner's URL, or a crafted link would hand the new client's id and channel ids to any site.
import { ApiError } from '../../errors.ts';
import type { PartnerRow } from '../../services/partners.ts';
import type { OnboardingParams } from './state.ts';

/** Only absolute http(s) URLs without credentials: never javascript:, data: or a relative path. */
export function checkRedirectUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ApiError(400, 'redirect_url must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ApiError(400, `redirect_url must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (!url.hostname) throw new ApiError(400, 'redirect_url must name a host');
  if (url.username || url.password) throw new ApiError(400, 'redirect_url must not contain a user name or password');
  return url.href;
}

/**
 * The partner's own redirect URL, or a 409 page for the client: the partner has not finished its
 * setup (reference §3: the redirect URL is a prerequisite), and only the partner can fix that.
 */
export function partnerRedirectUrl(partner: PartnerRow): string {
  const brand = partner.brand_name;
  const fix = `${brand} must first set its redirect URL in the Partner Hub (Partner Integration) or with the Partner API (partner_redirect_url). Please let ${brand} know.`;
  if (!partner.partner_redirect_url) {
    throw new ApiError(409, `${brand} has not finished setting up WhatsApp onboarding: it has no redirect URL, so there is no way back to ${brand} afterwards. ${fix}`);
  }
  try {
    return checkRedirectUrl(partner.partner_redirect_url);
  } catch {
    throw new ApiError(409, `${brand} has not finished setting up WhatsApp onboarding: its redirect URL is not an absolute http(s) URL. ${fix}`);
  }
}

/** Same scheme, host and port (a default port written out counts as the default). */
export function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/**
 * Where the browser goes at the end: the link's redirect_url when it is on the origin of the
 * partner's redirect URL (the page hosting the button may have its own path and query), else the
 * partner's. Checked when the link is opened and again before anything is committed, as the
 * partner may change its URL in between. The link's value is not repeated on the error page.
 */
export function redirectTarget(partner: PartnerRow, params: Pick<OnboardingParams, 'redirect_url'>): string {
  const own = partnerRedirectUrl(partner);
  if (params.redirect_url === undefined) return own;
  const link = checkRedirectUrl(params.redirect_url);
  if (!sameOrigin(link, own)) {
    throw new ApiError(
      400,
      `The link's redirect_url must be on the same origin (scheme, host and port) as ${partner.brand_name}'s redirect URL, ${new URL(own).origin}: the new account is only reported back to ${partner.brand_name}'s own site`,
    );
  }
  return link;
}

/**
 * The partner's page with `client`, `channels`, `revoked` and `state` added to its query, as
 * 360dialog sends them: `?client=<cid>&channels=[<id>,<id>]` with literal brackets and commas.
 * An existing query string is kept; a fragment stays last.
 */
export function partnerRedirect(target: string, result: { clientId: string; channels: string[]; revoked: string[]; state?: string }): string {
  const href = new URL(target).href; // normalised: non-ASCII is percent-encoded, safe in a header
  const hashAt = href.indexOf('#');
  const base = hashAt === -1 ? href : href.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : href.slice(hashAt);
  const list = (ids: string[]) => `[${ids.map((id) => encodeURIComponent(id)).join(',')}]`;
  let added = `client=${encodeURIComponent(result.clientId)}&channels=${list(result.channels)}`;
  if (result.revoked.length > 0) added += `&revoked=${list(result.revoked)}`;
  if (result.state !== undefined) added += `&state=${encodeURIComponent(result.state)}`;
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return base + sep + added + fragment;
}
