// Between the Facebook step and the permission step the business's access token waits in the
// onboarding session, sealed (AES-256-GCM under OPENWABA_SECRET_KEY, network/meta/secret-box.ts)
// and bound to the session: the session row holds it only sealed, a seal copied into another
// session does not open there, and it never reaches the browser. It leaves the session when the
// channel is created or the number changed. (The number's PIN is not kept here: it is derived from
// the number when it is registered, network/meta/embedded-signup.ts pinFor.)
import type { Deps } from '../../deps.ts';
import { openSecret, sealSecret } from '../../network/meta/secret-box.ts';
import type { OnboardingSession } from './pages.ts';
import type { EmbeddedSignupPending } from './state.ts';

export interface PendingSecrets {
  accessToken: string;
}

function binding(s: OnboardingSession): string {
  return `onboarding-embedded-signup:${s.idHash}`;
}

function key(deps: Deps): Buffer {
  // Embedded Signup is on only with a secret key (config.ts refuses it otherwise).
  const k = deps.config.secretKey;
  if (!k) throw new Error('Embedded Signup needs OPENWABA_SECRET_KEY');
  return k;
}

export function sealPending(deps: Deps, s: OnboardingSession, ids: { phoneNumberId: string; wabaId: string }, secrets: PendingSecrets): EmbeddedSignupPending {
  return { ...ids, sealed: sealSecret(key(deps), JSON.stringify({ t: secrets.accessToken }), binding(s)) };
}

/**
 * The token, or undefined when the seal no longer opens (another secret key, a damaged row). A seal
 * made before the PIN left the session also carries one (`p`): it is ignored.
 */
export function openPending(deps: Deps, s: OnboardingSession, pending: EmbeddedSignupPending): PendingSecrets | undefined {
  try {
    const v = JSON.parse(openSecret(key(deps), pending.sealed, binding(s))) as { t?: unknown };
    if (typeof v.t !== 'string') return undefined;
    return { accessToken: v.t };
  } catch {
    return undefined;
  }
}
