// What a resumable upload's first bytes look like (media/resumable.ts checks them against the
// session's declared file_type when its last chunk arrives). Only the types recognisable by their
// magic bytes are checked; any other declared type passes.
//
// Meta's exact behaviour here is not confirmed by a source (its reference says nothing of a
// content check on the Resumable Upload API; a mismatched file is known to fail later, in the
// template's review). Refusing at once, with Graph's 400 code 100 naming file_type, is what most
// clients handle (it is the error any bad parameter of the upload answers).

/** How many leading bytes the check reads. */
export const SNIFF_BYTES = 1024;

type Kind = 'image/jpeg' | 'image/png' | 'image/webp' | 'video/mp4' | 'application/pdf';

const startsWith = (b: Buffer, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** The kind the bytes are, by magic bytes; undefined when none of the known ones. */
export function sniff(head: Buffer): Kind | undefined {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  // An ISO base media file (MP4, 3GPP): its first box is `ftyp`.
  if (startsWith(head, ascii('ftyp'), 4)) return 'video/mp4';
  // PDF readers take the header anywhere in the first KiB.
  if (head.subarray(0, SNIFF_BYTES).includes('%PDF-')) return 'application/pdf';
  return undefined;
}

/** The declared types this check knows (3GPP shares MP4's container). */
const CHECKED: Record<string, Kind> = {
  'image/jpeg': 'image/jpeg',
  'image/jpg': 'image/jpeg',
  'image/png': 'image/png',
  'image/webp': 'image/webp',
  'video/mp4': 'video/mp4',
  'video/3gpp': 'video/mp4',
  'application/pdf': 'application/pdf',
};

/** Undefined when the bytes fit the declared type (or the type is not one checked); else what they look like. */
export function contentMismatch(fileType: string, head: Buffer): string | undefined {
  const want = CHECKED[fileType.toLowerCase()];
  if (!want) return undefined;
  const got = sniff(head);
  if (got === want) return undefined;
  return got ? `${got === 'video/mp4' ? 'an MP4/3GPP video' : got} file` : 'none of the recognised types (JPEG, PNG, WebP, MP4/3GPP, PDF)';
}
