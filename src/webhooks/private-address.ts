// Addresses a webhook must never reach under the strict policy: loopback, private, link-local,
// carrier-grade NAT, multicast and reserved ranges, and names for them.
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

export function isPrivateAddress(host: string): boolean {
  // A trailing dot names the same host ("localhost." is localhost).
  const h = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return (
      a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) ||
      a >= 224 // multicast and reserved
    );
  }
  // Loopback, unspecified, unique-local, link-local, multicast, and IPv4 inside IPv6 (::ffff:…, ::a.b.c.d).
  if (v === 6) return h.startsWith('::') || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe8') || h.startsWith('fe9') || h.startsWith('fea') || h.startsWith('feb') || h.startsWith('ff');
  return false;
}

/**
 * A DNS lookup for outbound webhook connections that refuses names resolving to such addresses,
 * so that a public-looking name cannot lead a delivery into the private network.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return (callback as (e: Error | null, a: string, f?: number) => void)(err, '', 4);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad || list.length === 0) {
      const e = Object.assign(new Error(`${hostname} resolves to ${bad?.address ?? 'nothing'}, a private or reserved address (OPENWABA_WEBHOOK_URL_POLICY=strict)`), { code: 'EPRIVATEADDRESS' });
      return (callback as (e: Error | null, a: string, f?: number) => void)(e, '', 4);
    }
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    return (callback as (e: null, a: string, f: number) => void)(null, list[0]!.address, list[0]!.family);
  });
};

