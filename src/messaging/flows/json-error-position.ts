// Where a JSON text first goes wrong, as a character offset: for the line and column of an
// INVALID_FLOW_JSON error. JSON.parse says where only sometimes, and differently by Node version
// ("at position 6" for some errors, a quoted excerpt for others, "(line 2 column 7)" on newer
// engines), so the text is scanned again, once it has failed to parse. Iterative (a stack, no
// recursion), so a deeply nested text cannot overflow it.

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

type Expect = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'colon' | 'comma-or-end' | 'end';

/** The offset of the first character that makes `s` invalid JSON (s.length when it ends too early); -1 when it is valid. */
export function jsonErrorOffset(s: string): number {
  const stack: number[] = []; // 0x7b '{' or 0x5b '['
  let expect: Expect = 'value';
  let i = 0;
  /** Reads the string opening at i; answers the offset of an error in it, or -1. */
  const string = (): number => {
    i++;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return -1;
      }
      if (c < 0x20) return i;
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return i;
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) i += 2;
        else return i;
      } else i++;
    }
    return i;
  };
  for (;;) {
    while (i < s.length && WS.has(s.charCodeAt(i))) i++;
    if (i >= s.length) return expect === 'end' ? -1 : i;
    const c = s.charCodeAt(i);
    if (expect === 'end') return i;
    if (expect === 'colon') {
      if (c !== 0x3a) return i;
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'comma-or-end') {
      const top = stack[stack.length - 1];
      if (c === 0x2c) {
        i++;
        expect = top === 0x7b ? 'key' : 'value';
      } else if ((c === 0x7d && top === 0x7b) || (c === 0x5d && top === 0x5b)) {
        i++;
        stack.pop();
        expect = stack.length > 0 ? 'comma-or-end' : 'end';
      } else return i;
      continue;
    }
    if ((expect === 'key-or-end' && c === 0x7d) || (expect === 'value-or-end' && c === 0x5d)) {
      i++;
      stack.pop();
      expect = stack.length > 0 ? 'comma-or-end' : 'end';
      continue;
    }
    if (expect === 'key' || expect === 'key-or-end') {
      if (c !== 0x22) return i;
      const bad = string();
      if (bad >= 0) return bad;
      expect = 'colon';
      continue;
    }
    // A value.
    if (c === 0x7b || c === 0x5b) {
      stack.push(c);
      i++;
      expect = c === 0x7b ? 'key-or-end' : 'value-or-end';
      continue;
    }
    if (c === 0x22) {
      const bad = string();
      if (bad >= 0) return bad;
    } else if (s.startsWith('true', i) || s.startsWith('null', i)) i += 4;
    else if (s.startsWith('false', i)) i += 5;
    else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(s)) return i;
      i = NUMBER.lastIndex;
    }
    expect = stack.length > 0 ? 'comma-or-end' : 'end';
  }
}
