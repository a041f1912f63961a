// Password checks that do not tell, by their answer or their time, whether an account exists.
import { expect, it } from 'vitest';
import { hashPassword, verifyPasswordOrDummy } from '../src/crypto.ts';

it('verifyPasswordOrDummy: true only for the right password of an existing account', async () => {
  const hash = await hashPassword('correct horse battery');
  expect(await verifyPasswordOrDummy('correct horse battery', hash)).toBe(true);
  expect(await verifyPasswordOrDummy('wrong', hash)).toBe(false);
  expect(await verifyPasswordOrDummy('correct horse battery', undefined)).toBe(false);
  expect(await verifyPasswordOrDummy('', undefined)).toBe(false);
});
