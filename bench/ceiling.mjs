// The ceiling under test: a bare Fastify route (bench/ceiling-server.mjs) on the same pinned
// core, sent the same kind of request as an introspection.
import { freePort } from './http.mjs';
import { fixed } from './load.mjs';
import { Server } from './processes.mjs';

export async function startCeiling({ pinned }) {
  const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(await freePort()) };
  const server = new Server('ceiling', ['bench/ceiling-server.mjs'], env, { pinned });
  try {
    return new CeilingTarget(server, await server.listening());
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export class CeilingTarget {
  name = 'ceiling';

  constructor(server, url) {
    this.server = server;
    this.url = url;
  }

  pids() {
    return this.server.tree();
  }

  /** A form body the size of an introspection request of a Tessera access token. */
  spec() {
    const token = 'x'.repeat(560);
    return {
      url: this.url,
      path: '/ceiling',
      headers: { authorization: `Basic ${Buffer.from('bench-rs:' + 'y'.repeat(43)).toString('base64')}` },
      connection: fixed(new URLSearchParams({ token, token_type_hint: 'access_token' }).toString()),
    };
  }

  async stop() {
    await this.server.stop();
  }
}
