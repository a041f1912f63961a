// The sandbox's display name rules (messaging/display-name-review.ts reviewDisplayName): what
// Meta's guidelines say a machine can check; everything else is approved.
import { describe, expect, it } from 'vitest';
import { reviewDisplayName } from '../../src/messaging/display-name-review.ts';

describe("the sandbox's display name review", () => {
  it.each(['Acme Support', 'ACME', 'Acme GmbH & Co. KG', 'Café Zürich', 'BMW Service', "Joe's Pizza - Downtown", 'H&M', 'A.C.M.E. Corp'])('approves %j', (name) => {
    expect(reviewDisplayName(name)).toEqual({ decision: 'APPROVED', reason: null });
  });

  it.each([
    ['ACME SUPPORT', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme 🚀', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme www.acme.com', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme https://acme.example', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme!!!', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme?!', 'NAME_FORMAT_UNACCEPTABLE'],
    ['***Acme***', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme...', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme WhatsApp Shop', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme on whats app', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Acme Instagram', 'NAME_FORMAT_UNACCEPTABLE'],
    ['Reject Me Please', 'NAME_NOT_CONSISTENT'],
    ['reject_acme', 'NAME_NOT_CONSISTENT'],
  ])('rejects %j as %s', (name, reason) => {
    expect(reviewDisplayName(name)).toEqual({ decision: 'REJECTED', reason });
  });
});
