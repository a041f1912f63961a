// The Content-Security-Policy of the page that runs Embedded Signup. Every page gets render.ts's
// policy (scripts, frames and connections to this origin only); the number step with Embedded
// Signup also needs Facebook's JavaScript SDK: its script (from the SDK URL's origin), the frames it
// opens and the requests it makes to Facebook (OPENWABA_META_ES_ORIGINS). Only that page, and only
// when Embedded Signup is configured, gets these sources; every other page keeps the strict policy.
import type { FastifyReply, onSendHookHandler } from 'fastify';
import type { EmbeddedSignupConfig } from '../../config.ts';

const marked = new WeakSet<FastifyReply>();

/** Marks this reply as the Embedded Signup page (its CSP is widened when it is sent). */
export function useEmbeddedSignupCsp(reply: FastifyReply): void {
  marked.add(reply);
}

/** `base` with the sources Facebook's SDK needs added to script-src, frame-src and connect-src. */
export function embeddedSignupCsp(base: string, es: EmbeddedSignupConfig): string {
  const extra: Record<string, string[]> = {
    'script-src': [new URL(es.sdkUrl).origin],
    'frame-src': es.origins,
    'connect-src': es.origins,
  };
  const directives = base
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => d.split(/\s+/));
  for (const [name, sources] of Object.entries(extra)) {
    let d = directives.find((x) => x[0] === name);
    if (!d) {
      // A directive not written falls back to default-src: start from it ('self').
      d = [name, ...(directives.find((x) => x[0] === 'default-src')?.slice(1) ?? [])].filter((v) => v !== "'none'");
      directives.push(d);
    }
    for (const src of sources) if (!d.includes(src)) d.push(src);
  }
  return directives.map((d) => d.join(' ')).join('; ');
}

export function embeddedSignupCspHook(es: EmbeddedSignupConfig): onSendHookHandler {
  return async (_request, reply, payload) => {
    if (marked.has(reply)) {
      const base = reply.getHeader('content-security-policy');
      if (typeof base === 'string') reply.header('content-security-policy', embeddedSignupCsp(base, es));
    }
    return payload;
  };
}
