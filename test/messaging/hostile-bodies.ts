// Hostile requests for hostile-input.test.ts, generated deterministically from a seed: broken and
// oversize JSON, wrong types, prototype keys, deep nesting, broken Unicode, wrong content types,
// long headers, hostile query strings and path parameters, and one-field mutations of valid bodies.

/** mulberry32: small, fast, and the same sequence for the same seed on every run. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }
}

/** 'reject': the answer must be a 4xx. 'either': the input may be valid, so 2xx or 4xx (never 5xx). */
export type Expect = 'reject' | 'either';

export interface HostileCase {
  label: string;
  /** Headers besides the D360-API-KEY (content-type included here, or absent). */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Raw query string without '?', appended to the path. */
  query?: string;
  /** Path parameters, already percent-encoded, replacing the endpoint's defaults. */
  params?: Record<string, string>;
  expect: Expect;
  /** Refused before routing or before the key check (undecodable URL, NUL in the URL). */
  urlLevel?: boolean;
  /** Headers over Node's 16 KiB limit: answered 431 before routing, in the API's error format (src/http/client-errors.ts). */
  oversizeHeaders?: boolean;
}

const JSON_CT = { 'content-type': 'application/json' };
const j = (label: string, body: string | Buffer, expect: Expect = 'reject', headers: Record<string, string> = JSON_CT): HostileCase => ({ label, headers, body, expect });

export const MIB = 1024 * 1024;

/** Strings that have broken validators, databases and templates elsewhere. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00x',
  '\udbff\ud800',
  '\u202eevil',
  '\ufeff',
  'x'.repeat(5000),
  '9'.repeat(400),
  'NaN',
  'Infinity',
  '-0',
  '1e400',
  '0x1F',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '../../etc/passwd',
  'file:///etc/passwd',
  'javascript:alert(1)',
  '\r\nX-Injected: 1',
  '👩🏽‍🚀'.repeat(3),
  'ｗｈａｔｓａｐｐ',
  'e\u0301',
];

/** JSON values of every other type. */
export const HOSTILE_VALUES: readonly unknown[] = [null, true, false, 0, -1, 1.5, 1e308, 9007199254740993, [], [null], {}, { a: {} }, [[[]]], ['x'], [{}]];

/** Number literals JSON.stringify cannot produce: spliced into the raw text. */
export const RAW_NUMBERS: readonly string[] = ['1e400', '-1e400', '123456789012345678901234567890', '1e-400', '-0', '0.0000000000000000000001', '1E+2', '-9007199254740993'];

const deepArrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObjects = (n: number, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);

/**
 * Bodies that are wrong whatever the endpoint: broken JSON, wrong top-level types, prototype
 * keys, deep nesting, broken Unicode, oversize. `valid` is a valid body of the endpoint (or a
 * plausible object), used where the hostile part should be the only problem.
 */
export function structuralCases(valid: unknown): HostileCase[] {
  const v = JSON.stringify(valid ?? { a: 1 });
  const inner = v.slice(1, -1); // the valid object's members, to splice extra keys in
  const cases: HostileCase[] = [
    j('empty body, JSON content type', ''),
    { label: 'empty body, no content type', headers: {}, expect: 'reject' },
    j('whitespace only', ' \n\t '),
    // Top-level values that are not objects.
    ...['null', 'true', 'false', '0', '-1', '1e400', '"text"', '""', '[]', '[{}]', '[null]', `[${v}]`, `[${v},${v}]`, JSON.stringify(v)].map((b) => j(`top-level ${b.slice(0, 30)}`, b)),
    // Broken JSON.
    ...[
      '{',
      '}',
      '{"a":}',
      "{'a':1}",
      '{"a":1,}',
      '[1,2,]',
      '{"a" 1}',
      'NaN',
      'Infinity',
      'undefined',
      '{"a":NaN}',
      '{"a":0x10}',
      '{"a":01}',
      '/* comment */ {}',
      '{"a":"\u0001raw control"}',
      '{"a":"\\x41"}',
      '{"a":"\\u12"}',
      '{"a":"unterminated',
      '{"a":1}{"b":2}',
      `${v} trailing`,
      '\u0000',
      'tru',
      '{"a":[1,2}',
      '\ufeff[]',
      v.slice(0, Math.max(1, Math.floor(v.length / 2))),
    ].map((b) => j(`broken JSON ${JSON.stringify(b.slice(0, 30))}`, b)),
    // Prototype keys at several depths (Fastify refuses __proto__ and constructor.prototype).
    j('__proto__ at the top', `{"__proto__":{"admin":true},${inner}}`),
    j('__proto__ after the members', `{${inner},"__proto__":{"polluted":1}}`),
    j('__proto__ escaped as \\u005f', `{"\\u005f_proto__":{"admin":true},${inner}}`),
    j('constructor.prototype at the top', `{"constructor":{"prototype":{"admin":true}},${inner}}`),
    j('__proto__ two levels down', `{${inner},"x":{"y":{"__proto__":{"admin":true}}}}`),
    j('__proto__ inside an array', `{${inner},"x":[{"__proto__":{"admin":true}}]}`),
    j('constructor.prototype four levels down', `{${inner},"x":{"y":{"z":{"constructor":{"prototype":{"admin":true}}}}}}`),
    j('__proto__ as an array', `{"__proto__":[]}`),
    j('prototype, toString and hasOwnProperty keys', `{"prototype":{},"toString":1,"hasOwnProperty":"x","valueOf":null}`),
    j('constructor key alone', `{"constructor":{"name":"Object"}}`),
    // Duplicate keys (the last one wins in JSON.parse).
    j('duplicate keys', '{"a":1,"a":2,"a":[3]}'),
    // Deep nesting.
    j('10,000 nested arrays', deepArrays(10_000)),
    j('10,000 nested objects', deepObjects(10_000)),
    j('100,000 nested arrays', deepArrays(100_000)),
    j('10,000 nested objects inside a valid body', `{${inner},"x":${deepObjects(10_000)}}`),
    j('65 nested arrays (just over the limit)', `{${inner},"x":${deepArrays(65)}}`),
    j('60 nested objects in an unknown field', `{${inner},"x":${deepObjects(60)}}`),
    // Huge numbers.
    ...RAW_NUMBERS.map((n) => j(`huge number ${n} in an unknown field`, `{${inner},"x":${n}}`)),
    // Broken Unicode: lone surrogates as escapes, invalid UTF-8 bytes in the raw body.
    j('lone high surrogate as a key', `{"\\ud800":1,${inner}}`),
    j('lone low surrogate in an unknown field', `{${inner},"x":"\\udc00"}`),
    j('invalid UTF-8 bytes (0xff 0xfe)', Buffer.concat([Buffer.from(`{${inner},"x":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
    j('overlong UTF-8 encoding of "/"', Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])),
    j('UTF-8 encoded surrogate (ED A0 80)', Buffer.concat([Buffer.from(`{${inner},"x":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])),
    j('truncated multi-byte sequence', Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xe2, 0x82])])),
    j('UTF-16LE body with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(v, 'utf16le')])),
    j('UTF-16BE body', Buffer.from(v, 'utf16le').swap16()),
    j('raw NUL byte inside a string', Buffer.concat([Buffer.from('{"x":"a'), Buffer.from([0]), Buffer.from('b"}')])),
    // Oversize: over the 1 MiB body limit, and big but within it.
    j('body over the 1 MiB limit', JSON.stringify('x'.repeat(MIB + 16))),
    j('valid body padded over the 1 MiB limit', `{${inner},"x":${JSON.stringify('y'.repeat(MIB))}}`),
    j('a string of 900 KiB in an unknown field', `{${inner},"x":${JSON.stringify('z'.repeat(900 * 1024))}}`),
    j('an array of 200,000 numbers', `{${inner},"x":[${new Array(200_000).fill('1').join(',')}]}`),
    j('an object of 50,000 keys', `{${inner},"x":{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":0`).join(',')}}}`),
  ];
  return cases;
}

/** The same valid body under content types that are wrong for a JSON endpoint. */
export function contentTypeCases(valid: unknown): HostileCase[] {
  const v = JSON.stringify(valid ?? { a: 1 });
  const wrong = [
    'text/plain',
    'text/plain; charset=utf-8',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=----hostile',
    'multipart/form-data',
    'application/xml',
    'application/octet-stream',
    'image/jpeg',
    'application/jsonx',
    'application/json-patch+json',
    'text/json',
    'application/vnd.api+json',
    '*/*',
    'application/*',
    ';',
    'application/',
    '/json',
    'json',
    'application json',
    `application/json${'x'.repeat(2000)}`,
  ];
  const cases: HostileCase[] = wrong.map((ct) => ({ label: `content type ${JSON.stringify(ct.slice(0, 40))}`, headers: { 'content-type': ct }, body: v, expect: 'reject' }));
  cases.push({ label: 'JSON body without a content type', headers: {}, body: v, expect: 'reject' });
  cases.push({ label: 'form-encoded body as form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: formEncode(valid), expect: 'reject' });
  cases.push({ label: 'multipart body as multipart', headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [{ name: 'payload', value: v }]), expect: 'reject' });
  // Charset and casing oddities of application/json: the valid body may be taken, a wrong one never.
  const odd = [
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json;charset="utf-8"',
    'APPLICATION/JSON',
    'Application/Json; Charset=UTF-8',
    'application/json ; charset=utf-8',
    'application/json; charset=',
    'application/json; boundary=x',
    'application/json; charset=utf-8; charset=ascii',
    'application/json, text/plain',
    `application/json; x=${'a'.repeat(8000)}`,
  ];
  for (const ct of odd) {
    cases.push({ label: `odd JSON content type ${JSON.stringify(ct.slice(0, 40))} with a valid body`, headers: { 'content-type': ct }, body: v, expect: 'either' });
    cases.push({ label: `odd JSON content type ${JSON.stringify(ct.slice(0, 40))} with an array`, headers: { 'content-type': ct }, body: '[]', expect: 'reject' });
  }
  return cases;
}

/** Long and odd headers around a body that is wrong anyway. */
export function headerCases(): HostileCase[] {
  return [
    { label: 'user-agent of 12 KiB', headers: { ...JSON_CT, 'user-agent': 'u'.repeat(12 * 1024) }, body: '[]', expect: 'reject' },
    { label: 'a 14 KiB custom header', headers: { ...JSON_CT, 'x-junk': 'j'.repeat(14 * 1024) }, body: '[]', expect: 'reject' },
    { label: '200 custom headers', headers: { ...JSON_CT, ...Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'v'.repeat(40)])) }, body: '[]', expect: 'reject' },
    { label: 'authorization junk', headers: { ...JSON_CT, authorization: `Bearer ${'a'.repeat(4000)}` }, body: '[]', expect: 'reject' },
    { label: 'accept: application/xml', headers: { ...JSON_CT, accept: 'application/xml' }, body: '[]', expect: 'reject' },
    { label: 'content-encoding: gzip on a plain body', headers: { ...JSON_CT, 'content-encoding': 'gzip' }, body: '[]', expect: 'reject' },
    { label: 'content-encoding: br', headers: { ...JSON_CT, 'content-encoding': 'br' }, body: '{}', expect: 'reject' },
    { label: 'headers over 16 KiB in total', headers: { ...JSON_CT, 'x-huge': 'h'.repeat(20 * 1024) }, body: '[]', expect: 'reject', oversizeHeaders: true },
  ];
}

/** Random JSON: objects with hostile keys and values, `count` of them from the seed. */
export function randomJsonCases(rng: Prng, count: number): HostileCase[] {
  const keys = ['messaging_product', 'to', 'type', 'text', 'body', 'url', 'headers', 'name', 'contacts', 'status', 'components', 'from', 'a', '', ' ', 'prototype', 'toString', '\ud800', 'x'.repeat(300)];
  const value = (depth: number): unknown => {
    const r = rng.int(10);
    if (depth > 5 || r < 4) return rng.next() < 0.5 ? rng.pick(HOSTILE_STRINGS) : rng.pick(HOSTILE_VALUES);
    if (r < 7) return Array.from({ length: rng.int(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: 1 + rng.int(4) }, () => [rng.pick(keys), value(depth + 1)]));
  };
  const cases: HostileCase[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 5 === 4) {
      // Random bytes under a JSON content type.
      const bytes = Buffer.alloc(1 + rng.int(200));
      for (let b = 0; b < bytes.length; b++) bytes[b] = rng.int(256);
      cases.push(j(`random bytes #${i}`, bytes));
    } else {
      cases.push(j(`random JSON #${i}`, JSON.stringify(value(0))));
    }
  }
  return cases;
}

/** Query-string values for one parameter; `maxLength` marks values a schema must refuse. */
export function queryValueCases(param: string, rng: Prng): { value: string; encoded?: boolean; label: string }[] {
  // Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD: encodeURIComponent would throw).
  const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return [
    { label: 'empty', value: '' },
    { label: 'space', value: enc(' ') },
    { label: '5,000 characters', value: 'q'.repeat(5000) },
    { label: 'bad percent-encoding %ZZ', value: '%ZZ' },
    { label: 'truncated percent-encoding', value: 'a%E0%A4%A' },
    { label: 'encoded surrogate (invalid UTF-8)', value: '%ED%A0%80' },
    { label: 'invalid UTF-8 bytes', value: '%FF%FE' },
    { label: '__proto__', value: '__proto__' },
    { label: 'constructor', value: 'constructor' },
    { label: 'toString', value: 'toString' },
    { label: 'JSON with __proto__', value: enc('{"__proto__":{"admin":true}}') },
    { label: 'JSON with constructor and toString keys', value: enc('{"constructor":"x","toString":"y"}') },
    { label: '-hasOwnProperty', value: '-hasOwnProperty' },
    { label: 'broken JSON', value: enc('[[[[{') },
    { label: '2,000 nested arrays', value: enc('['.repeat(2000) + ']'.repeat(2000)) },
    { label: 'NaN', value: 'NaN' },
    { label: 'Infinity', value: 'Infinity' },
    { label: '-1', value: '-1' },
    { label: '1e309', value: '1e309' },
    { label: '0x10', value: '0x10' },
    { label: '400 digits', value: '9'.repeat(400) },
    { label: 'SQL', value: enc("'; DROP TABLE messages; --") },
    { label: 'emoji and RTL', value: enc('👩🏽‍🚀\u202e') },
    { label: 'random', value: enc(rng.pick(HOSTILE_STRINGS).slice(0, 300)) },
    { label: 'duplicate parameter', value: `1&${param}=2` },
    { label: 'bracket syntax', value: `1&${param}[x]=1` },
  ];
}

/** Whole-query oddities, for every endpoint that reads a query (and those that do not). */
export const QUERY_STRINGS: readonly { label: string; query: string }[] = [
  { label: '__proto__[admin]=1', query: '__proto__[admin]=1' },
  { label: 'constructor[prototype][admin]=1', query: 'constructor[prototype][admin]=1' },
  { label: '__proto__=1', query: '__proto__=1' },
  { label: '500 parameters', query: Array.from({ length: 500 }, (_, i) => `p${i}=${i}`).join('&') },
  { label: 'a 6 KiB parameter name', query: `${'n'.repeat(6 * 1024)}=1` },
  { label: 'only separators', query: '&&&==&=' },
];

/** Hostile path parameter values (percent-encoded as they go on the wire). */
export const PATH_VALUES: readonly { label: string; value: string; urlLevel?: boolean }[] = [
  { label: '600 characters (over the router limit)', value: 'p'.repeat(600), urlLevel: true },
  { label: '190 characters', value: 'p'.repeat(190) },
  { label: 'bad percent-encoding', value: '%ZZ', urlLevel: true },
  { label: 'truncated percent-encoding', value: 'a%E0%A4%A', urlLevel: true },
  { label: 'NUL', value: 'a%00b', urlLevel: true },
  { label: '__proto__', value: '__proto__' },
  { label: 'constructor', value: 'constructor' },
  { label: 'prototype', value: 'prototype' },
  { label: 'encoded traversal', value: '..%2F..%2Fetc%2Fpasswd' },
  { label: 'emoji', value: '%F0%9F%98%80' },
  { label: 'encoded surrogate', value: '%ED%A0%80', urlLevel: true },
  { label: 'SQL', value: "'%20OR%201%3D1--" },
  { label: 'space', value: '%20' },
  { label: '-1', value: '-1' },
  { label: '1e309', value: '1e309' },
  { label: 'NaN', value: 'NaN' },
];

// ---- encodings ----

export function formEncode(v: unknown): string {
  if (v === null || typeof v !== 'object') return `value=${encodeURIComponent(String(v))}`;
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof x === 'string' ? x : JSON.stringify(x))}`)
    .join('&');
}

export interface Part {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
  /** Replaces the part's header block. */
  rawHeaders?: string;
}

export function multipart(boundary: string, parts: Part[], opts: { end?: boolean; eol?: string } = {}): Buffer {
  const eol = opts.eol ?? '\r\n';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const head =
      p.rawHeaders ??
      `Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}${eol}${p.type ? `Content-Type: ${p.type}${eol}` : ''}`;
    chunks.push(Buffer.from(`--${boundary}${eol}${head}${eol}`), Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value), Buffer.from(eol));
  }
  if (opts.end !== false) chunks.push(Buffer.from(`--${boundary}--${eol}`));
  return Buffer.concat(chunks);
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** POST /media (Cloud, multipart): malformed forms, and a few odd but possibly valid ones. */
export function cloudMediaCases(): HostileCase[] {
  const B = 'hostileBoundary';
  const mp = (label: string, body: Buffer, expect: Expect = 'reject', ct = `multipart/form-data; boundary=${B}`): HostileCase => ({ label, headers: { 'content-type': ct }, body, expect });
  const good = (file: Buffer = PNG, type = 'image/png'): Part[] => [
    { name: 'messaging_product', value: 'whatsapp' },
    { name: 'type', value: type },
    { name: 'file', value: file, filename: 'a.png', type },
  ];
  return [
    mp('multipart without a boundary parameter', multipart(B, good()), 'reject', 'multipart/form-data'),
    mp('multipart with another boundary', multipart('other', good())),
    mp('multipart with an empty boundary', multipart(B, good()), 'reject', 'multipart/form-data; boundary='),
    mp('truncated multipart (no closing boundary)', multipart(B, good(), { end: false })),
    mp('multipart cut in the middle of the file', multipart(B, good()).subarray(0, 200)),
    mp('multipart cut in a part header', Buffer.from(`--${B}\r\nContent-Disposition: form-da`)),
    mp('multipart of only the closing boundary', Buffer.from(`--${B}--\r\n`)),
    mp('multipart with LF line endings only', multipart(B, good(), { eol: '\n' })),
    mp('no file part', multipart(B, good().slice(0, 2))),
    mp('an empty file', multipart(B, good(Buffer.alloc(0)))),
    mp('messaging_product wrong', multipart(B, [{ name: 'messaging_product', value: 'WhatsApp ' }, ...good().slice(1)])),
    mp('messaging_product of 5,000 characters', multipart(B, [{ name: 'messaging_product', value: 'whatsapp'.repeat(625) }, ...good().slice(1)])),
    mp('two files', multipart(B, [...good(), { name: 'file', value: PNG, filename: 'b.png', type: 'image/png' }])),
    mp('a file in another field', multipart(B, [...good().slice(0, 2), { name: 'upload', value: PNG, filename: 'a.png', type: 'image/png' }])),
    mp('20 fields', multipart(B, [...Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, value: 'x' })), ...good()])),
    mp('1,000 parts', multipart(B, Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}`, value: 'x' })))),
    mp('a field named __proto__', multipart(B, [{ name: '__proto__', value: 'x' }, ...good()])),
    mp('a field named constructor', multipart(B, [{ name: 'constructor', value: 'x' }, ...good()]), 'either'),
    mp('type and file type disagree', multipart(B, [{ name: 'messaging_product', value: 'whatsapp' }, { name: 'type', value: 'video/mp4' }, { name: 'file', value: PNG, filename: 'a.png', type: 'image/png' }])),
    mp('an executable type', multipart(B, good(Buffer.from('MZ\x90\x00'), 'application/x-msdownload'))),
    mp('a type of 3,000 characters', multipart(B, good(PNG, `image/${'p'.repeat(3000)}`))),
    mp('a sticker that is not WebP', multipart(B, good(PNG, 'image/webp'))),
    mp('a part without a name', multipart(B, [{ name: '', value: 'x', rawHeaders: 'Content-Disposition: form-data\r\n' }, ...good()]), 'either'),
    mp('a part with garbage headers', multipart(B, [{ name: '', value: 'x', rawHeaders: 'Garbage\r\n: :\r\n' }, ...good()]), 'either'),
    mp('a part header of 10 KiB', multipart(B, [{ name: '', value: 'x', rawHeaders: `Content-Disposition: form-data; name="${'n'.repeat(10 * 1024)}"\r\n` }, ...good()]), 'either'),
    mp('a filename with traversal and NUL', multipart(B, [...good().slice(0, 2), { name: 'file', value: PNG, filename: '../../etc/passwd\u0000.png', type: 'image/png' }]), 'either'),
    mp('nested multipart/mixed', multipart(B, [{ name: 'messaging_product', value: 'whatsapp' }, { name: 'file', value: multipart('inner', good()), type: 'multipart/mixed; boundary=inner' }])),
    mp('JSON under a multipart content type', Buffer.from('{"messaging_product":"whatsapp"}')),
    mp('multipart/mixed instead of form-data', multipart(B, good()), 'reject', `multipart/mixed; boundary=${B}`),
    { label: 'multipart body as application/json', headers: { 'content-type': 'application/json' }, body: multipart(B, good()), expect: 'reject' },
    { label: 'a valid JSON message instead of a form', headers: { 'content-type': 'application/json' }, body: '{"messaging_product":"whatsapp","file":"x","type":"image/png"}', expect: 'reject' },
    { label: 'a form-encoded body', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'messaging_product=whatsapp&type=image%2Fpng&file=x', expect: 'reject' },
    { label: 'octet-stream body', headers: { 'content-type': 'application/octet-stream' }, body: PNG, expect: 'reject' },
  ];
}

/** POST /v1/media (On-Premise, raw body): types that are not media, empty and broken files. */
export function onPremMediaCases(): HostileCase[] {
  const raw = (label: string, ct: string | undefined, body: string | Buffer, expect: Expect = 'reject'): HostileCase => ({ label, headers: ct === undefined ? {} : { 'content-type': ct }, body, expect });
  return [
    raw('application/json body', 'application/json', '{"file":"x"}'),
    raw('no content type', undefined, PNG),
    raw('an empty image', 'image/png', Buffer.alloc(0)),
    raw('a sticker that is not WebP', 'image/webp', PNG),
    raw('an executable', 'application/x-msdownload', Buffer.from('MZ\x90\x00')),
    raw('multipart content type', 'multipart/form-data; boundary=x', multipart('x', [{ name: 'file', value: PNG, filename: 'a.png', type: 'image/png' }])),
    raw('form content type', 'application/x-www-form-urlencoded', 'a=b'),
    raw('content type of 3,000 characters', `image/${'p'.repeat(3000)}`, PNG),
    raw('content type ";"', ';', PNG),
    raw('content type "image/"', 'image/', PNG),
    raw('text/plain document', 'text/plain', 'hello', 'either'),
    raw('image/png with parameters', 'image/png; charset=utf-8; x=1', PNG, 'either'),
    raw('IMAGE/PNG upper case', 'IMAGE/PNG', PNG, 'either'),
    raw('audio with codecs', 'audio/ogg; codecs=opus', Buffer.from('OggS\u0000junk'), 'either'),
  ];
}

// ---- mutations of valid bodies ----

type Path = (string | number)[];

/** Every node of a JSON value (not the root), depth first, at most `max`. */
export function pathsOf(v: unknown, max = 48): Path[] {
  const out: Path[] = [];
  const walk = (x: unknown, at: Path) => {
    if (out.length >= max) return;
    if (Array.isArray(x)) x.forEach((e, i) => (out.push([...at, i]), walk(e, [...at, i])));
    else if (x && typeof x === 'object') for (const [k, e] of Object.entries(x)) (out.push([...at, k]), walk(e, [...at, k]));
  };
  walk(v, []);
  return out.slice(0, max);
}

const clone = <T>(v: T): T => structuredClone(v);
const SENTINEL = '\u0001HOSTILE\u0001';

function at(root: unknown, path: Path): { parent: any; key: string | number; value: unknown } {
  let parent: any = root;
  for (const k of path.slice(0, -1)) parent = parent[k];
  const key = path[path.length - 1]!;
  return { parent, key, value: parent[key] };
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export interface Mutation {
  label: string;
  raw: string;
}

/** Remove, retype (twice) and duplicate each field of `valid`, one at a time. */
export function mutations(valid: unknown, rng: Prng): Mutation[] {
  const out: Mutation[] = [];
  for (const path of pathsOf(valid)) {
    const name = path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
    // Remove.
    {
      const c = clone(valid);
      const { parent, key } = at(c, path);
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      out.push({ label: `remove ${name}`, raw: JSON.stringify(c) });
    }
    // Retype: one value of another type, one hostile string (or a raw number literal for numbers).
    const original = at(valid, path).value;
    const others = HOSTILE_VALUES.filter((x) => typeOf(x) !== typeOf(original));
    const other = rng.pick(others);
    const replacements: { label: string; value?: unknown; raw?: string }[] = [{ label: JSON.stringify(other).slice(0, 20), value: other }];
    if (typeof original === 'number') {
      const lit = rng.pick(RAW_NUMBERS);
      replacements.push({ label: lit, raw: lit });
      replacements.push({ label: 'a numeric string', value: rng.pick(['NaN', 'Infinity', ' 52.5 ', '0x1F', '1e400', '-0', '']) });
    } else {
      const s = rng.pick(HOSTILE_STRINGS);
      replacements.push({ label: JSON.stringify(s.slice(0, 12)), value: s });
    }
    for (const r of replacements) {
      const c = clone(valid);
      const { parent, key } = at(c, path);
      parent[key] = r.raw !== undefined ? SENTINEL : r.value;
      let raw = JSON.stringify(c);
      if (r.raw !== undefined) raw = raw.replace(JSON.stringify(SENTINEL), r.raw);
      out.push({ label: `retype ${name} to ${r.label}`, raw });
    }
    // Nest 10,000 levels deep where a field was (near the top, where handlers store what they get).
    if (path.length <= 2) {
      const c = clone(valid);
      const { parent, key } = at(c, path);
      parent[key] = SENTINEL;
      out.push({ label: `nest ${name} 10,000 levels deep`, raw: JSON.stringify(c).replace(JSON.stringify(SENTINEL), deepObjects(10_000)) });
    }
    // Duplicate: an array element twice; an object key twice (the wrong value first or last).
    {
      const c = clone(valid);
      const { parent, key, value } = at(c, path);
      if (Array.isArray(parent)) {
        parent.splice(key as number, 0, clone(value));
        out.push({ label: `duplicate ${name}`, raw: JSON.stringify(c) });
      } else {
        parent[key] = SENTINEL;
        const wrong = JSON.stringify(rng.pick(others));
        const orig = JSON.stringify(value);
        const pair = rng.next() < 0.5 ? `${JSON.stringify(key)}:${wrong},${JSON.stringify(key)}:${orig}` : `${JSON.stringify(key)}:${orig},${JSON.stringify(key)}:${wrong}`;
        out.push({ label: `duplicate key ${name}`, raw: JSON.stringify(c).replace(`${JSON.stringify(key)}:${JSON.stringify(SENTINEL)}`, pair) });
      }
    }
  }
  return out;
}
