// How the sandbox phone reads a Flow JSON's dynamic values: references in text and payloads
// (${data.…}, ${form.…}, the global ${screen.X.…}), and If conditions; what it cannot read is
// reported, never thrown.
import { describe, expect, it } from 'vitest';
import { condition, resolve, resolveString, type Scope } from '../../src/web/phone/flow-expr.ts';

const scope: Scope = {
  data: { name: 'Jane', age: 20, tags: ['a', 'b'], nested: { city: 'Berlin' }, off: false },
  form: { opt_in: true, size: 'large', empty: '' },
  screens: { FIRST: { data: { code: 'X1' }, form: { email: 'j@x.io' } } },
};

describe('Flow JSON references on the sandbox phone', () => {
  it('a whole reference keeps its type; references in text become text', () => {
    expect(resolveString('${data.age}', scope)).toBe(20);
    expect(resolveString('${data.tags}', scope)).toEqual(['a', 'b']);
    expect(resolveString('${form.opt_in}', scope)).toBe(true);
    expect(resolveString('`Hi ${data.name} from ${data.nested.city}`', scope)).toBe('Hi Jane from Berlin');
    expect(resolveString('Tags: ${data.tags}', scope)).toBe('Tags: a, b');
    expect(resolveString('${screen.FIRST.form.email} / ${screen.FIRST.data.code}', scope)).toBe('j@x.io / X1');
    expect(resolveString('${data.missing}', scope)).toBeUndefined();
    expect(resolveString('${data.__proto__}', scope)).toBeUndefined();
    expect(resolveString('${window.alert}', scope)).toBeUndefined();
    expect(resolve({ a: ['${data.name}', { b: '${form.size}' }], n: 1 }, scope)).toEqual({ a: ['Jane', { b: 'large' }], n: 1 });
  });

  it('If conditions: comparisons, and, or, not, parentheses', () => {
    const c = (s: string) => condition(s, scope);
    expect(c('${form.opt_in}')).toEqual({ ok: true, value: true });
    expect(c('!${data.off}')).toEqual({ ok: true, value: true });
    expect(c("${form.size} == 'large'")).toEqual({ ok: true, value: true });
    expect(c('${form.size} != "large"')).toEqual({ ok: true, value: false });
    expect(c('${data.age} >= 18 && ${data.age} < 21')).toEqual({ ok: true, value: true });
    expect(c("(${data.age} > 30 || ${form.size} == 'large') && !${form.empty}")).toEqual({ ok: true, value: true });
    expect(c('${data.tags}')).toEqual({ ok: true, value: true });
  });

  it('what it cannot read is not a value', () => {
    for (const s of ['', '${data.age} >', '(${form.opt_in}', 'alert(1)', '${data.age} === 20', '${data.a', "'open"]) expect(condition(s, scope)).toEqual({ ok: false });
    expect(condition('!'.repeat(5000), scope)).toEqual({ ok: false });
    expect(condition('('.repeat(100) + 'true' + ')'.repeat(100), scope)).toEqual({ ok: false });
  });
});
