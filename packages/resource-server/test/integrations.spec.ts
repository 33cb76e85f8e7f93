import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Post, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { dpopKey, dpopProof, dpopToken } from '../../../test/factories/dpop.js';
import { tesseraMiddleware } from '../src/express.js';
import { tesseraPlugin, tesseraPreHandler } from '../src/fastify.js';
import { Principal, Public, Scopes, TesseraGuard, TesseraModule, type TesseraModuleOptions } from '../src/nestjs/index.js';
import { DEFAULT_DPOP_ALGORITHMS } from '../src/options.js';
import { ResourceServer } from '../src/resource-server.js';
import { type LiveTessera, startLiveTessera } from './live-tessera.js';

/** No credentials: both schemes are offered (RFC 9449 §7.2), DPoP with its algorithms. */
const BARE_CHALLENGE = `Bearer realm="orders", DPoP realm="orders", algs="${DEFAULT_DPOP_ALGORITHMS.join(' ')}"`;

interface Answer {
  status: number;
  challenge: string | null;
  body: Record<string, unknown>;
}

async function call(base: string, method: string, path: string, token?: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function nestModule(options: TesseraModuleOptions) {
  @Controller('orders')
  @Scopes('read')
  class OrdersController {
    @Get()
    list(@Principal() principal: Principal) {
      return { subject: principal.subject, scopes: principal.scopes };
    }

    @Post()
    @Scopes('read', 'write')
    create() {
      return { created: true };
    }

    @Get('health')
    @Public()
    health() {
      return { ok: true };
    }
  }

  @Controller('reports')
  class ReportsController {
    @Get('open')
    open() {
      return { open: true };
    }

    @Get('guarded')
    @UseGuards(TesseraGuard)
    guarded(@Principal() principal: Principal) {
      return { subject: principal.subject };
    }
  }

  @Module({ imports: [TesseraModule.forRoot(options)], controllers: [options.globalGuard === false ? ReportsController : OrdersController] })
  class AppModule {}
  return AppModule;
}

async function listenNest(module: object): Promise<[NestFastifyApplication, string]> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return [app, (await app.getUrl()).replace('[::1]', '127.0.0.1')];
}

describe('the framework integrations, against a live Tessera', () => {
  let live: LiveTessera;
  let readOnly: string;
  let readWrite: string;

  beforeAll(async () => {
    live = await startLiveTessera();
    readOnly = await live.token('read');
    readWrite = await live.token('read write');
  });
  afterAll(() => live.t.close());

  describe('NestJS: TesseraModule.forRoot with its global guard', () => {
    let app: NestFastifyApplication;
    let base: string;
    beforeAll(async () => ([app, base] = await listenNest(nestModule(live.options))));
    afterAll(() => app.close());

    it('lets a token with the scope through and hands the handler its @Principal', async () => {
      expect(await call(base, 'GET', '/orders', readOnly)).toMatchObject({ status: 200, body: { subject: live.user.user.id, scopes: ['read'] } });
      expect(await call(base, 'POST', '/orders', readWrite)).toMatchObject({ status: 201, body: { created: true } });
    });

    it('answers RFC 6750 errors: bare 401, 401 invalid_token, 403 with the scope, 400', async () => {
      expect(await call(base, 'GET', '/orders')).toMatchObject({ status: 401, challenge: BARE_CHALLENGE });
      const forged = await call(base, 'GET', '/orders', `${readOnly.slice(0, -4)}AAAA`);
      expect(forged).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
      expect(forged.challenge).toMatch(/^Bearer realm="orders", error="invalid_token"/);
      const lacking = await call(base, 'POST', '/orders', readOnly);
      expect(lacking).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
      expect(lacking.challenge).toMatch(/scope="read write"$/);
      const malformed = await fetch(`${base}/orders`, { headers: { authorization: 'Bearer a b' } });
      expect(malformed.status).toBe(400);
    });

    it('takes a DPoP-bound token with a proof for the route, and refuses the same proof again', async () => {
      const key = await dpopKey();
      const issued = await dpopToken(live.t, live.app, { grant_type: 'client_credentials', scope: 'read' }, await dpopProof(live.t, key));
      const token = String(issued.body.access_token);
      const proof = await dpopProof(live.t, key, { htm: 'GET', htu: `${base}/orders`, nonce: null, accessToken: token });
      const headers = { authorization: `DPoP ${token}`, dpop: proof };
      const first = await fetch(`${base}/orders`, { headers });
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ subject: live.app.id, scopes: ['read'] });
      const again = await fetch(`${base}/orders`, { headers });
      expect(again.status).toBe(401);
      expect(again.headers.get('www-authenticate')).toMatch(/^DPoP realm="orders", error="invalid_dpop_proof", .*algs="/);
    });

    it('leaves a @Public route open', async () => {
      expect(await call(base, 'GET', '/orders/health')).toMatchObject({ status: 200, body: { ok: true } });
    });
  });

  describe('NestJS: globalGuard false and @UseGuards(TesseraGuard)', () => {
    let app: NestFastifyApplication;
    let base: string;
    beforeAll(async () => ([app, base] = await listenNest(nestModule({ ...live.options, globalGuard: false }))));
    afterAll(() => app.close());

    it('guards only the routes that ask for it', async () => {
      expect((await call(base, 'GET', '/reports/open')).status).toBe(200);
      expect((await call(base, 'GET', '/reports/guarded')).status).toBe(401);
      expect(await call(base, 'GET', '/reports/guarded', readOnly)).toMatchObject({ status: 200, body: { subject: live.user.user.id } });
    });
  });

  describe('Fastify', () => {
    let app: FastifyInstance;
    let base: string;
    beforeAll(async () => {
      const server = new ResourceServer(live.options);
      app = Fastify();
      await app.register(tesseraPlugin, { server, scopes: ['read'] });
      app.get('/orders', async (request) => ({ subject: request.principal?.subject }));
      app.post('/orders', { preHandler: tesseraPreHandler(server, { scopes: ['write'] }) }, async () => ({ created: true }));
      base = await app.listen({ host: '127.0.0.1', port: 0 });
    });
    afterAll(() => app.close());

    it('the plugin guards every route and sets request.principal; a route adds its own scopes', async () => {
      expect(await call(base, 'GET', '/orders', readOnly)).toMatchObject({ status: 200, body: { subject: live.user.user.id } });
      expect(await call(base, 'GET', '/orders')).toMatchObject({ status: 401, challenge: BARE_CHALLENGE, body: {} });
      const lacking = await call(base, 'POST', '/orders', readOnly);
      expect(lacking).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
      expect(lacking.challenge).toMatch(/scope="write"$/);
      expect(await call(base, 'POST', '/orders', readWrite)).toMatchObject({ status: 200, body: { created: true } });
    });
  });

  describe('Express-style middleware on a Node http server', () => {
    let http: Server;
    let base: string;
    beforeAll(async () => {
      const guard = tesseraMiddleware(new ResourceServer(live.options), { scopes: ['write'] });
      http = createServer((request, response) => {
        guard(request, response, (error?: unknown) => {
          response.writeHead(error ? 500 : 200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ subject: (request as { principal?: Principal }).principal?.subject }));
        });
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((resolve) => http.close(resolve)));

    it('calls next() with req.principal set, or answers the error itself', async () => {
      expect(await call(base, 'GET', '/', readWrite)).toMatchObject({ status: 200, body: { subject: live.user.user.id } });
      expect(await call(base, 'GET', '/', readOnly)).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });
      expect(await call(base, 'GET', '/', 'not-a-token-tessera-issued')).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    });
  });
});
