// Graceful close: once app.close() has begun, responses still in flight go out with
// `Connection: close` and their sockets are closed, so that a keep-alive client cannot hold the
// server open (server.close() waits for every connection) after its last request has finished.
import type { FastifyInstance } from 'fastify';

export function registerGracefulClose(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback hooks, not async ones: they run on every response, and an async hook costs a
  // promise and a turn of the microtask queue each.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (closing && request.raw.httpVersionMajor < 2) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (_request, _reply, done) => {
    // For a response whose headers left before close began: its socket is idle once it ends.
    if (closing) setImmediate(() => app.server.closeIdleConnections?.());
    done();
  });
}
