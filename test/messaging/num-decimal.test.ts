// num() (validate/check.ts) reads a number given as a string only when it is written in decimal:
// Number() alone took "0x10" as 16, "0b1" as 1 and "Infinity" as a number out of range.
import { describe, expect, it } from 'vitest';
import { num } from '../../src/messaging/validate/check.ts';
import { ApiError } from '../../src/errors.ts';

describe('num(): numbers written as strings', () => {
  it('takes decimal strings (sign, fraction, exponent, spaces around)', () => {
    expect(num('52.52', 'latitude', { min: -90, max: 90 })).toBe(52.52);
    expect(num(' -13.4 ', 'longitude')).toBe(-13.4);
    expect(num('1e1', 'x')).toBe(10);
    expect(num('.5', 'x')).toBe(0.5);
    expect(num(7, 'x')).toBe(7);
  });
  it('refuses hex, binary, octal and the words Number() reads', () => {
    for (const v of ['0x10', '0b1', '0o7', 'Infinity', '-Infinity', '1_000', '']) {
      const err = (() => {
        try {
          num(v, 'location.latitude');
        } catch (e) {
          return e;
        }
      })();
      expect(err, v).toBeInstanceOf(ApiError);
      expect((err as ApiError).status, v).toBe(400);
      expect((err as ApiError).message + JSON.stringify((err as ApiError).extra ?? {}), v).toContain('must be a number');
    }
  });
});
