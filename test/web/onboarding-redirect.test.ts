// The way back to the partner: 360dialog's ?client=…&channels=[…] with literal brackets, added to
// whatever URL the partner gave (its query and fragment kept), and only to http(s) URLs.
import { describe, expect, it } from 'vitest';
import { checkRedirectUrl, parseParams, partnerRedirect } from '../../src/web/onboarding/state.ts';
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
});
