// Graceful close. app.close() stops accepting connections, then drains before Fastify closes the
// server: connections between requests (idle keep-alive ones) stay open while any request is
// still in flight, and at least `graceMs`, so that a request already on its way on one of them is
// served (its response says `Connection: close`, and its socket closes after it) instead of
// meeting a closed socket: a reset, after which its client cannot tell whether it was stored.
// Then Fastify's server.close() closes the idle connections and waits for the rest.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface GracefulCloseOptions {
  /** How long (ms), at least, idle connections stay open once close has begun. */
  graceMs: number;
}

/** At most this long the drain waits for responses in flight (the CLI gives a stop 30 s in all). */
const MAX_DRAIN_MS = 20_000;

/** How often the drain looks at the connections. */
const DRAIN_POLL_MS = 20;

/**
 * Whether a response is under way on the socket: the test Node's own closeIdleConnections()
 * makes (the response attached to the socket, not yet finished). A request whose headers are
 * still arriving counts as idle here; Node's close leaves it open, and it is served like any other.
 */
function busy(socket: net.Socket): boolean {
  const res = (socket as { _httpMessage?: { writableFinished?: boolean } | null })._httpMessage;
  return !!res && !res.writableFinished;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerGracefulClose(app: FastifyInstance, opts: GracefulCloseOptions): void {
  const server = app.server;
  // Per connection, not per request: the hot path (keep-alive requests) is untouched.
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const anyBusy = () => {
    for (const socket of sockets) if (busy(socket)) return true;
    return false;
  };

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    if (!server.listening) return;
    // Stop accepting: net.Server's close, which leaves open connections alone (http.Server's
    // closes the idle ones at once, which is what resets a request on its way). Fastify's
    // server.close() follows the drain and ends when the last connection has closed.
    net.Server.prototype.close.call(server);
    const started = performance.now();
    // Bounded: a response that never finishes (a client that stopped reading a download) must
    // not hold the stop forever; Fastify's close then waits for it as it did before the drain.
    while (sockets.size > 0 && (anyBusy() || performance.now() - started < opts.graceMs) && performance.now() - started < MAX_DRAIN_MS) await sleep(DRAIN_POLL_MS);
    // No response begun before close is still under way: every later one says `Connection:
    // close`, so the connections Fastify's close does not close now close after their response.
  });
  // A callback hook, not an async one: it runs on every response, and an async hook costs a
  // promise and a turn of the microtask queue each.
  app.addHook('onSend', (request, reply, payload, done) => {
    // Requests that arrive while closing get `Connection: close` from Fastify; these are the ones
    // that arrived before.
    if (closing && request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
    done(null, payload);
  });
}
