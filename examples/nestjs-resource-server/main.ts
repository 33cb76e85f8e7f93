// A NestJS API protected by Tessera's access tokens; see README.md beside this file.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';

const issuer = process.env.TESSERA_ISSUER ?? 'http://localhost:3000';
const { API_CLIENT_ID: clientId, API_CLIENT_SECRET: clientSecret } = process.env;
const ownClient = clientId && clientSecret ? { clientId, clientSecret } : undefined;

const app = await NestFactory.create<NestFastifyApplication>(
  AppModule.with({
    issuer,
    audience: process.env.API_AUDIENCE ?? issuer,
    realm: 'orders',
    // With the API's own client (scope ssf, --introspect): revocations arrive by Shared
    // Signals within about a second, and opaque tokens are introspected. Without: JWTs only.
    introspection: ownClient,
    revocationFeed: ownClient !== undefined,
  }),
  new FastifyAdapter(),
  { logger: ['error', 'warn'] },
);
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 4000);
await app.listen({ host: '127.0.0.1', port });
process.stdout.write(`orders API on http://127.0.0.1:${port} (tokens from ${issuer}${ownClient ? ', revocations by Shared Signals' : ''})\n`);
