// A media header's sample (example.header_handle) that is one of our own Resumable Upload handles
// (media/resumable.ts) must be a file of the header's kind: IMAGE a JPEG or PNG, VIDEO an MP4,
// DOCUMENT a PDF, as Meta's review would find. A handle we did not issue (or one issued to another
// WABA, or expired) is accepted as before: clients send handles minted by Meta's own upload API,
// which openwaba cannot look at.
import type { Deps } from '../../deps.ts';
import { findHandle } from '../media/resumable.ts';
import { fail, isObj, type Obj } from '../validate/check.ts';

const TYPES_OF: Record<string, readonly string[]> = {
  IMAGE: ['image/jpeg', 'image/png'],
  VIDEO: ['video/mp4'],
  DOCUMENT: ['application/pdf'],
};

/** Media headers with a handle, in the parsed components (a carousel's cards included), with their field names. */
function mediaHeaders(components: readonly unknown[], f: string, out: { format: string; handle: string; field: string }[] = []) {
  components.forEach((c, i) => {
    if (!isObj(c)) return;
    const at = `${f}[${i}]`;
    const handles = isObj(c.example) ? (c.example as Obj).header_handle : undefined;
    if (c.type === 'HEADER' && typeof c.format === 'string' && TYPES_OF[c.format] && Array.isArray(handles) && typeof handles[0] === 'string') {
      out.push({ format: c.format, handle: handles[0], field: `${at}.example.header_handle[0]` });
    }
    if (Array.isArray(c.cards)) {
      c.cards.forEach((card, j) => {
        if (isObj(card) && Array.isArray(card.components)) mediaHeaders(card.components, `${at}.cards[${j}].components`, out);
      });
    }
  });
  return out;
}

/** Refuses a header whose handle is ours and names a file of another kind. */
export async function checkHeaderHandles(deps: Deps, wabaAccountId: string, components: readonly unknown[]): Promise<void> {
  for (const h of mediaHeaders(components, 'components')) {
    const upload = await findHandle(deps, wabaAccountId, h.handle);
    if (upload && !TYPES_OF[h.format]!.includes(upload.file_type)) {
      throw fail(h.field, `the uploaded file is ${upload.file_type}, which a ${h.format} header cannot show (${h.format} takes ${TYPES_OF[h.format]!.join(' or ')})`);
    }
  }
}
