// The way back to the partner: 360dialog's ?client=…&channels=[…] with literal brackets, added to
// whatever URL the partner gave (its query and fragment kept), only to http(s) URLs, and (reference
// §3) only when the partner has a redirect URL, a link's redirect_url only on that URL's origin.
import { describe, expect, it } from 'vitest';
import { parseParams } from '../../src/web/onboarding/state.ts';
import { checkRedirectUrl, partnerRedirect, redirectTarget, sameOrigin } from '../../src/web/onboarding/redirect.ts';
import type { PartnerRow } from '../../src/services/partners.ts';
import { ApiError } from '../../src/errors.ts';

describe('onboarding redirect URL', () => {
  const r = { clientId: 'abcCL', channels: ['c1CH', 'c2CH'], revoked: [] as string[] };

  it('adds client and channels with literal brackets and commas', () => {
    expect(partnerRedirect('https://p.example/io', r)).toBe('https://p.example/io?client=abcCL&channels=[c1CH,c2CH]');
    expect(partnerRedirect('https://p.example/io', { ...r, channels: [] })).toBe('https://p.example/io?client=abcCL&channels=[]');
  });

  it('keeps an existing query and fragment, and joins cleanly after a trailing ? or &', () => {
    expect(partnerRedirect('https://p.example/io?a=1&b=x%20y#frag', r)).toBe('https://p.example/io?a=1&b=x%20y&client=abcCL&channels=[c1CH,c2CH]#frag');
    expect(partnerRedirect('https://p.example/io?', r)).toBe('https://p.example/io?client=abcCL&channels=[c1CH,c2CH]');
    expect(partnerRedirect('https://p.example/io?a=1&', r)).toBe('https://p.example/io?a=1&client=abcCL&channels=[c1CH,c2CH]');
  });

  it('adds revoked only when something was withdrawn, and state (encoded) only when given', () => {
    expect(partnerRedirect('https://p.example/', { ...r, revoked: ['c3CH'], state: 'a b&c=d/é' })).toBe(
      'https://p.example/?client=abcCL&channels=[c1CH,c2CH]&revoked=[c3CH]&state=a%20b%26c%3Dd%2F%C3%A9',
    );
    expect(partnerRedirect('https://p.example/', { ...r, state: '' })).toBe('https://p.example/?client=abcCL&channels=[c1CH,c2CH]&state=');
  });

  it('yields a header-safe URL for non-ASCII partner URLs', () => {
    const url = partnerRedirect('https://bücher.example/zurück?q=ä', r);
    expect(url).toBe('https://xn--bcher-kva.example/zur%C3%BCck?q=%C3%A4&client=abcCL&channels=[c1CH,c2CH]');
    expect(/^[\x21-\x7e]+$/.test(url)).toBe(true);
  });

  it('accepts only absolute http(s) URLs without credentials', () => {
    expect(checkRedirectUrl(' https://p.example/x ')).toBe('https://p.example/x');
    for (const bad of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', '//evil.example/x', '/path', 'mailto:a@b.c', 'http://u:p@p.example/', 'file:///etc/passwd', '']) {
      expect(() => checkRedirectUrl(bad), bad).toThrow(ApiError);
    }
  });

  it('reads the link parameters leniently but never passes a bad redirect_url', () => {
    expect(parseParams({ number: '+49 (151) 123-45', email: 'a@b.c', next: 'login', plan_selection: 'premium', partner: 'ref', state: 's' })).toEqual({
      number: '4915112345',
      email: 'a@b.c',
      login: true,
      plan: 'premium',
      partner: 'ref',
      state: 's',
    });
    expect(parseParams({ number: 'abc', next: 'signup', plan_selection: 'gold', email: ['x@y.z', 'other@y.z'] })).toEqual({ email: 'x@y.z' });
    expect(() => parseParams({ redirect_url: 'javascript:alert(1)' })).toThrow(/http or https/);
    expect(() => parseParams({ partner: 'x'.repeat(5000) })).toThrow(/too long/);
    expect(parseParams(undefined)).toEqual({});
  });

  const partner = (url: string | null) => ({ brand_name: 'Acme <Bots>', partner_redirect_url: url }) as PartnerRow;
  const status = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return err instanceof ApiError ? err.status : -1;
    }
    return 0;
  };

  it('needs the partner’s own redirect URL, whatever the link says (409: only the partner can fix it)', () => {
    for (const url of [null, '', 'not a url', 'javascript:alert(1)']) {
      expect(status(() => redirectTarget(partner(url), {})), String(url)).toBe(409);
      expect(status(() => redirectTarget(partner(url), { redirect_url: 'https://partner.example/io' })), String(url)).toBe(409);
    }
    expect(() => redirectTarget(partner(null), {})).toThrow(/Partner Hub .*partner_redirect_url/);
  });

  it('uses the partner’s URL, or the link’s on the same origin (another path and query allowed)', () => {
    const p = partner('https://partner.example/connected?src=io');
    expect(redirectTarget(p, {})).toBe('https://partner.example/connected?src=io');
    for (const same of ['https://partner.example/other/page?x=1#top', 'HTTPS://Partner.Example/x', 'https://partner.example:443/x', 'https://partner.example']) {
      expect(redirectTarget(p, { redirect_url: same }), same).toBe(new URL(same).href);
    }
  });

  it('refuses a link’s redirect_url on another scheme, host or port (400), without repeating it', () => {
    const p = partner('https://partner.example/connected');
    for (const other of [
      'http://partner.example/connected',
      'https://partner.example:8443/connected',
      'https://evil.example/connected',
      'https://evil.partner.example/',
      'https://partner.example.evil.example/',
      'https://partner.example%2F@evil.example/',
    ]) {
      expect(status(() => redirectTarget(p, { redirect_url: other })), other).toBe(400);
    }
    expect(() => redirectTarget(p, { redirect_url: 'https://evil.example/x' })).toThrow(/same origin \(scheme, host and port\) as Acme <Bots>'s redirect URL, https:\/\/partner\.example:/);
    expect(() => redirectTarget(p, { redirect_url: 'https://evil.example/x' })).not.toThrow(/evil/);
    expect(sameOrigin('http://localhost:8082/a', 'http://localhost:8082/b?c')).toBe(true);
    expect(sameOrigin('http://localhost:8082/a', 'http://127.0.0.1:8082/a')).toBe(false);
  });
});
