// A resource server built with @tessera/resource-server, the way an API would use it, in a
// process of its own. Three route prefixes, each with its own ResourceServer:
//   /signals     offline JWT verification + the revocation view fed by an SSF poll stream
//   /offline     offline JWT verification only (the status quo: refused at expiry)
//   /introspect  RFC 7662 introspection at Tessera on every request (no answer cache)
// Started by bench/signals.mjs; prints "listening on <url>" once the feed is fresh.
import Fastify from 'fastify';
import { ResourceServer, RevocationFeed, RevocationView } from '@tessera/resource-server';
import { tesseraPlugin } from '@tessera/resource-server/fastify';

const { ISSUER, TESSERA_URL, AUDIENCE, CLIENT_ID, CLIENT_SECRET } = process.env;

// The bench's issuer is an https name that does not resolve: its requests go to the
// Tessera process on loopback instead (jose's JWKS fetch included, hence the global).
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return realFetch(url.startsWith(ISSUER) ? `${TESSERA_URL}${url.slice(ISSUER.length)}` : input, init);
};

const common = { issuer: ISSUER, audience: AUDIENCE, jwksUri: `${ISSUER}/oauth/jwks` };
const introspection = { endpoint: `${ISSUER}/oauth/introspect`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, cacheTtl: 0 };

const view = new RevocationView({ retention: 3600 });
const feed = new RevocationFeed({ issuer: ISSUER, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, view, onError: (error) => process.stderr.write(`feed: ${error.message}\n`) });
const servers = {
  signals: new ResourceServer({ ...common, revocations: view, maxStaleness: 30 }),
  offline: new ResourceServer(common),
  // A source that is never fresh, with onStale 'introspect': the package asks Tessera about
  // every JWT, as a resource server that introspects each request would.
  introspect: new ResourceServer({ ...common, introspection, revocations: { freshAt: () => undefined, revokedBy: () => undefined }, onStale: 'introspect' }),
};

const app = Fastify({ logger: false });
// The load tool sends its requests as (empty) forms.
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
for (const [prefix, server] of Object.entries(servers)) {
  await app.register(
    async (scope) => {
      await scope.register(tesseraPlugin, { server, scopes: ['read'] });
      scope.post('/resource', async (request) => ({ sub: request.principal.subject }));
    },
    { prefix: `/${prefix}` },
  );
}

// Caught up with the stream before the first measured request.
feed.start();
for (let i = 0; view.freshAt() === undefined; i++) {
  if (i > 600) throw new Error('the revocation feed never caught up');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${address}\n`);
const stop = () =>
  feed
    .stop()
    .then(() => app.close())
    .then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
