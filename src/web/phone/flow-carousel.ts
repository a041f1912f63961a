// An ImageCarousel (Flow JSON 7.1+) on the sandbox phone: its images drawn from the Flow JSON's
// base64 `src` (as data: URLs, which the page's img-src allows), swiped sideways.
//
// From Meta's Flow JSON reference: `images` (1 to 3, a list or a reference to one), each
// {"src": base64 image, "alt-text": text}; `aspect-ratio` "4:3" (default) or "16:9"; `scale-type`
// "contain" (default) or "cover". The kind of image is read from its first bytes (PNG, JPEG, GIF,
// WebP); a `src` that is not base64 of one of these is not drawn (its alt-text is, with a notice).
import { resolve, text, type Scope, type Values } from './flow-expr.ts';

type Component = Record<string, unknown>;

export interface CarouselImage {
  /** A data: URL, or undefined when the src is not an image the phone can draw. */
  src?: string;
  alt: string;
}

export interface CarouselNode {
  kind: 'carousel';
  aspect: '4-3' | '16-9';
  scale: 'contain' | 'cover';
  images: CarouselImage[];
  notices: string[];
}

/** Meta's limit of images per carousel. */
export const MAX_CAROUSEL_IMAGES = 3;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isObj = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The image's media type from its first bytes, or undefined. */
function imageType(b64: string): string | undefined {
  const head = Buffer.from(b64.slice(0, 24), 'base64');
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'GIF8') return 'image/gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

export function carouselNode(c: Component, scope: Scope): CarouselNode {
  const list = resolve(c.images, scope);
  const all = Array.isArray(list) ? list : [];
  const notices: string[] = [];
  if (all.length === 0) notices.push('An ImageCarousel without images (it needs 1 to 3).');
  if (all.length > MAX_CAROUSEL_IMAGES) notices.push(`An ImageCarousel shows at most ${MAX_CAROUSEL_IMAGES} images; ${all.length - MAX_CAROUSEL_IMAGES} more are left out.`);
  const images = all.slice(0, MAX_CAROUSEL_IMAGES).map((x, i): CarouselImage => {
    const img = isObj(x) ? x : {};
    const alt = text(img['alt-text'], scope) || `Image ${i + 1}`;
    const src = typeof img.src === 'string' ? img.src.replace(/\s+/g, '') : '';
    const type = BASE64.test(src) ? imageType(src) : undefined;
    if (!type) {
      notices.push(`Image ${i + 1} of the carousel (“${alt.slice(0, 80)}”) is not a base64 PNG, JPEG, GIF or WebP image: not drawn.`);
      return { alt };
    }
    return { src: `data:${type};base64,${src}`, alt };
  });
  return {
    kind: 'carousel',
    aspect: resolve(c['aspect-ratio'], scope) === '16:9' ? '16-9' : '4-3',
    scale: resolve(c['scale-type'], scope) === 'cover' ? 'cover' : 'contain',
    images,
    notices,
  };
}
