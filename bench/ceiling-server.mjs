// The ceiling: a bare Fastify route that reads a small form body and answers a small JSON
// body, with nothing else in the way. No HTTP endpoint on the same core can beat it.
// Started by bench/ceiling.mjs as `node bench/ceiling-server.mjs`; prints "listening on <url>".
import Fastify from 'fastify';

const app = Fastify({ logger: false });
// The same kind of request as an introspection: a urlencoded body, read as a string.
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
app.post('/ceiling', async (_request, reply) => {
  reply.header('cache-control', 'no-store');
  return { active: true, scope: 'read', client_id: 'bench-app' };
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
process.stdout.write(`listening on ${address}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
