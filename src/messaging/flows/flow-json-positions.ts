// Where a JSON path's value stands in the text it was parsed from, for the line and column of a
// structural Flow JSON error. JSON.parse keeps no positions, and a parser that did would keep one
// for every value of a 10 MB file; instead the text is scanned once for the few paths asked
// (at most one answer's worth of errors): the asked paths form a tree, the scan descends only into
// members on it and skips every other value by counting brackets (no stack, no recursion deeper
// than the longest asked path), so the cost is one pass over the text however it nests.
// The text must be valid JSON (it has parsed). With a key given twice, the last wins, as in JSON.parse.

export interface Span {
  /** Offset of the value's first character. */
  start: number;
  /** Offset just after its last character. */
  end: number;
}

interface Node {
  children: Map<string | number, Node>;
  /** Indexes of the asked paths that end here. */
  asked: number[];
}

const node = (): Node => ({ children: new Map(), asked: [] });

/** The span of each path's value in `text` (undefined where the text has none). */
export function locatePaths(text: string, paths: readonly (readonly (string | number)[])[]): (Span | undefined)[] {
  const root = node();
  paths.forEach((path, i) => {
    let n = root;
    for (const seg of path) {
      let next = n.children.get(seg);
      if (!next) n.children.set(seg, (next = node()));
      n = next;
    }
    n.asked.push(i);
  });
  const out: (Span | undefined)[] = new Array(paths.length).fill(undefined);
  const n = text.length;

  const ws = (i: number) => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return i;
    }
  };
  /** i at an opening quote: the offset after the closing one. */
  const skipString = (i: number) => {
    let from = i + 1;
    for (;;) {
      const q = text.indexOf('"', from);
      if (q < 0) return n;
      let backslashes = 0;
      for (let b = q - 1; text.charCodeAt(b) === 0x5c; b--) backslashes++;
      if (backslashes % 2 === 0) return q + 1;
      from = q + 1;
    }
  };
  /** i at a value's first character: the offset after its last. */
  const skipValue = (i: number) => {
    const c = text.charCodeAt(i);
    if (c === 0x22) return skipString(i);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x22) {
          i = skipString(i);
          continue;
        }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) return i + 1;
        }
        i++;
      }
      return n;
    }
    // A number, true, false or null: up to the next delimiter.
    while (i < n) {
      const d = text.charCodeAt(i);
      if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      i++;
    }
    return i;
  };
  const keyAt = (i: number, end: number) => {
    const raw = text.slice(i, end);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };

  /** i at a value on the asked tree: records it where asked, descends where the tree goes on; the offset after it. */
  const visit = (i: number, at: Node): number => {
    const c = text.charCodeAt(i);
    let end: number;
    if (at.children.size === 0 || (c !== 0x7b && c !== 0x5b)) end = skipValue(i);
    else {
      const isObject = c === 0x7b;
      let j = ws(i + 1);
      let index = 0;
      if (text.charCodeAt(j) === (isObject ? 0x7d : 0x5d)) end = j + 1;
      else {
        for (;;) {
          let seg: string | number = index++;
          if (isObject) {
            const keyEnd = skipString(j);
            seg = keyAt(j, keyEnd);
            j = ws(ws(keyEnd) + 1); // past the colon
          }
          const child = at.children.get(seg);
          j = ws(child ? visit(j, child) : skipValue(j));
          if (text.charCodeAt(j) === 0x2c) j = ws(j + 1);
          else {
            end = j + 1;
            break;
          }
        }
      }
    }
    for (const k of at.asked) out[k] = { start: i, end };
    return end;
  };
  if (paths.length > 0) visit(ws(0), root);
  return out;
}

/** Line and column (1-based) of each offset, in one pass over the text. */
export function lineColumns(text: string, offsets: readonly number[]): Map<number, { line: number; column: number }> {
  const out = new Map<number, { line: number; column: number }>();
  let line = 1;
  let lineStart = 0;
  for (const off of [...new Set(offsets)].sort((a, b) => a - b)) {
    for (;;) {
      const nl = text.indexOf('\n', lineStart);
      if (nl < 0 || nl >= off) break;
      line++;
      lineStart = nl + 1;
    }
    out.set(off, { line, column: off - lineStart + 1 });
  }
  return out;
}
