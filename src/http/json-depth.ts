// A cheap look at a JSON text's nesting before it is parsed (JSON.parse of 100,000 "[" succeeds,
// and what is then done with the value may be quadratic in its depth).

/** Whether `text` opens more than `max` arrays/objects at once (strings skipped). One pass, no allocation. */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  return jsonDepthExceededAt(text, max) >= 0;
}

/** The offset of the first `[` or `{` that opens level max + 1 (strings skipped), or -1 when none does. */
export function jsonDepthExceededAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
}
