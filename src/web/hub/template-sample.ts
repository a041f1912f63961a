// A media header's sample on the Hub's template page, as Meta's Business Manager shows it: an
// IMAGE header as a thumbnail, a VIDEO as a small player, a DOCUMENT as a link, each from the same
// signed sample URL the APIs show when a template is read (messaging/templates/sample-url.ts). A
// handle that is not ours (Meta's, another WABA's, an expired upload) has no file here: the page
// says so and shows the handle cut short, never a broken image.
//
// The page's Content-Security-Policy (render.ts) allows images and media from 'self'. The sample
// URL is on the public URL (OPENWABA_PUBLIC_URL), which need not be the origin the Hub was opened
// on (a proxy, localhost vs. the public name): only then, and only on a page that shows a sample,
// img-src and media-src also name the public URL's origin. Nothing else in the policy changes.
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Deps } from '../../deps.ts';
import { requestOrigin } from '../../messaging/page-links.ts';
import { showSampleUrls } from '../../messaging/templates/sample-url.ts';

export type SampleKind = 'image' | 'video' | 'document';

export interface ShownSample {
  kind: SampleKind;
  /** The signed sample URL: set when the file is ours and live. */
  url?: string;
  /** What the link (or the image's alt text) says: "Sample document (PDF)". */
  label: string;
  /** A handle with no file here, cut short for the page. */
  handle?: string;
}

const KINDS: Record<string, SampleKind> = { IMAGE: 'image', VIDEO: 'video', DOCUMENT: 'document' };
const NAMES: Record<SampleKind, string> = { image: 'Sample image', video: 'Sample video', document: 'Sample document' };
/** Short names of the types the Resumable Upload API takes (resumable.ts's UPLOAD_FILE_TYPES). */
const TYPE_NAMES: Record<string, string> = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/jpg': 'JPEG', 'image/png': 'PNG', 'video/mp4': 'MP4' };
const HANDLE_SHOWN = 24;

/** The file type a handle names: `4::<base64 of the type>:<random>` (ours and Meta's alike). */
function typeOfHandle(handle: string): string | undefined {
  const part = handle.split(':')[2];
  if (!part || !/^[A-Za-z0-9+/=]{1,64}$/.test(part)) return undefined;
  const type = Buffer.from(part, 'base64').toString('latin1');
  return /^[a-z]+\/[a-z0-9.+-]+$/.test(type) ? type : undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The template's (top-level) media header sample, after swapping the template's handles of ours
 * for their sample URLs in `components` in place (as the APIs' reads do, so the page's JSON shows
 * the same URL). Undefined when there is no media header with a sample.
 */
export async function headerSample(deps: Deps, wabaAccountId: string, components: unknown[]): Promise<ShownSample | undefined> {
  const header = components.find((c) => isObj(c) && String(c.type).toUpperCase() === 'HEADER') as Record<string, unknown> | undefined;
  const kind = header ? KINDS[String(header.format ?? '').toUpperCase()] : undefined;
  const handles = header && isObj(header.example) && Array.isArray(header.example.header_handle) ? (header.example.header_handle as unknown[]) : undefined;
  const before = handles?.[0];
  await showSampleUrls(deps, [{ wabaAccountId, components }]);
  if (!kind || typeof before !== 'string' || before === '') return undefined;
  const after = handles![0];
  if (typeof after === 'string' && after !== before) {
    // Swapped: a live upload of this WABA, whose handle names its type.
    const type = typeOfHandle(before);
    const typeName = type ? (TYPE_NAMES[type] ?? type.split('/')[1]!.toUpperCase()) : undefined;
    return { kind, url: after, label: typeName ? `${NAMES[kind]} (${typeName})` : NAMES[kind] };
  }
  return { kind, label: NAMES[kind], handle: before.length > HANDLE_SHOWN ? `${before.slice(0, HANDLE_SHOWN)}…` : before };
}

/** `policy` with `origin` added to img-src and media-src (a directive not written starts from default-src). */
export function cspWithMediaOrigin(policy: string, origin: string): string {
  const directives = policy
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => d.split(/\s+/));
  for (const name of ['img-src', 'media-src']) {
    let d = directives.find((x) => x[0] === name);
    if (!d) {
      d = [name, ...(directives.find((x) => x[0] === 'default-src')?.slice(1) ?? [])].filter((v) => v !== "'none'");
      directives.push(d);
    }
    if (!d.includes(origin)) d.push(origin);
  }
  return directives.map((d) => d.join(' ')).join('; ');
}

const widen = new WeakMap<FastifyReply, string>();

/**
 * Marks the reply of a page that shows `sample`: when the sample URL's origin is not the one the
 * page was asked on, the page's CSP (set by render.ts) gets that origin for images and media.
 */
export function allowSampleOrigin(request: FastifyRequest, reply: FastifyReply, sample: ShownSample | undefined): void {
  if (!sample?.url) return;
  const origin = new URL(sample.url).origin;
  let own: string | undefined;
  try {
    own = new URL(requestOrigin(request)).origin;
  } catch {
    own = undefined;
  }
  if (origin !== own) widen.set(reply, origin);
}

/** The route's onSend hook that applies allowSampleOrigin's mark. */
export const sampleCspHook: onSendHookHandler = async (_request, reply, payload) => {
  const origin = widen.get(reply);
  const base = reply.getHeader('content-security-policy');
  if (origin && typeof base === 'string') reply.header('content-security-policy', cspWithMediaOrigin(base, origin));
  return payload;
};
