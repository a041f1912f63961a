import { badRequest } from '../errors.ts';

/** Accepts only absolute http(s) URLs with a host; anything else is a clear 400. */
export function validateHttpUrl(field: string, value: string): string {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw badRequest(`${field} must be an absolute http:// or https:// URL, got "${value.slice(0, 200)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badRequest(`${field} must use http or https, got "${url.protocol.replace(':', '')}"`);
  }
  if (!url.hostname) throw badRequest(`${field} must have a host`);
  if (url.username || url.password) throw badRequest(`${field} must not contain credentials; use custom headers instead`);
  return trimmed;
}

/** null or "" clears a URL; anything else must be valid. */
export function optionalUrl(field: string, value: string | null | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null || value.trim() === '') return null;
  return validateHttpUrl(field, value);
}
