// Small HTTP helpers for seeding (never for the measured load, which is autocannon's).
import { createServer } from 'node:net';
import { sleep } from './processes.mjs';

/** The Authorization header of client_secret_basic (RFC 6749 §2.3.1). */
export function basic(id, secret) {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** A port of 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails when `server` exits or after `timeoutMs`. */
export async function waitHttp(url, server, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (!server.running) throw new Error(`${server.name} exited before it was ready: ${server.err.trim().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${server.name} was not ready within ${timeoutMs} ms: ${server.err.trim().slice(-2000)}`);
    await sleep(100);
  }
}

/** POSTs a urlencoded form; the parsed JSON body (or {}) and the status. */
export async function postForm(url, params, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    redirect: 'manual',
  });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/**
 * A browser's worth of cookie handling for one user agent: cookies by name (the flows
 * here never need two cookies of one name at once), redirects followed by hand.
 */
export class Browser {
  cookies = new Map();

  async request(url, init = {}) {
    const headers = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** GETs `url` and follows redirects on `origin` until one leaves it; the last response and its URL. */
  async follow(url, origin, init = {}) {
    let current = new URL(url, origin);
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
      await response.arrayBuffer();
      current = new URL(response.headers.get('location'), current);
      if (current.origin !== origin) return { response: undefined, url: current };
      response = await this.request(current);
    }
    return { response, url: current };
  }
}
