import { connect } from 'node:net';
import fc from 'fast-check';
import { startTestApp, type TestApp } from '../setup/app.js';
import { rawBody } from '../setup/hostile.js';

/** Sent inside every hostile request: no answer may quote it back. */
const MARKER = 'Mark3rQx';

interface RawAnswer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/** Writes bytes to a fresh connection and reads the answer until the server closes it. */
function exchange(t: TestApp, data: string | Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(data);
  });
}

/** Tessera's error answer: RFC 6749 §5.2 JSON, never cached, with the security headers, quoting nothing. */
function expectTesseraError(answer: RawAnswer, status: number, error = 'invalid_request'): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({ status });
  expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const body = JSON.parse(answer.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('pragma')).toBe('no-cache');
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(answer.headers.get('x-frame-options')).toBe('DENY');
  expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
  expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(answer.body.toLowerCase()).not.toContain(MARKER.toLowerCase());
  expect(answer.body).not.toMatch(/FST_|fastify|nest|statusCode/i);
}

function request(method: string, path: string, headers: Record<string, string> = {}, body = ''): string {
  const lines = Object.entries({ Host: 'tessera.test', Connection: 'close', ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) });
  return `${method} ${path} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`;
}

describe('hostile HTTP: every answer is an OAuth error with Tessera headers, whatever layer refuses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('refused by the HTTP parser, before any request exists', () => {
    it.each([
      ['a request line that is not HTTP', `${MARKER} nonsense\r\n\r\n`, 400],
      ['a header name with a space', `GET /healthz HTTP/1.1\r\nHost: x\r\nBad ${MARKER}: y\r\n\r\n`, 400],
      ['an unknown method', `${MARKER.toUpperCase()} /oauth/token HTTP/1.1\r\nHost: x\r\n\r\n`, 400],
      ['a malformed chunk size', `POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${MARKER}\r\n`, 400],
      ['both Content-Length and Transfer-Encoding', `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
      ['headers over the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-${MARKER}: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ])('%s', async (_, data, status) => {
      const answer = await exchange(t, data);
      expectTesseraError(answer, status);
      expect(answer.headers.get('connection')).toBe('close');
    });

    it('after the answer of a request pipelined before the bad one', async () => {
      const both = await exchange(t, `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n${MARKER} nonsense\r\n\r\n`);
      expect(both.status).toBe(200);
      const second = both.body.slice(both.body.indexOf('HTTP/1.1 '));
      const [head, body] = second.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(body)).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
    });

    it('whatever bytes arrive', async () => {
      await fc.assert(
        fc.asyncProperty(rawBody, async (bytes) => {
          // A leading NUL makes the request line invalid at once: the parser never waits for more.
          const answer = await exchange(t, Buffer.concat([Buffer.from([0]), bytes, Buffer.from(MARKER)]));
          expectTesseraError(answer, 400);
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('refused by the router, before any hook', () => {
    it.each([
      ['a path that is not percent-encoded UTF-8', 'GET', `/oauth/%zz${MARKER}`, 400],
      ['a truncated UTF-8 sequence', 'POST', `/${MARKER}/%E0%A4%A`, 400],
      ['a route parameter over the length limit', 'DELETE', `/admin/clients/${MARKER}${'a'.repeat(200)}`, 414],
    ])('%s', async (_, method, path, status) => {
      expectTesseraError(await exchange(t, request(method, path)), status);
    });
  });

  describe('refused while reading the body', () => {
    it.each([
      ['JSON that does not parse', 'application/json', `{${MARKER}`, 400],
      ['an empty JSON body', 'application/json', '', 400],
      ['a prototype-poisoning JSON body', 'application/json', `{"__proto__":{"${MARKER}":1}}`, 400],
      ['a content type that does not parse', `;;${MARKER}`, 'a=b', 415],
      ['a body over 64 KiB', 'application/x-www-form-urlencoded', `${MARKER}=${'a'.repeat(70_000)}`, 413],
      ['a JSON body over 64 KiB', 'application/json', `{"${MARKER}":"${'a'.repeat(70_000)}"}`, 413],
    ])('%s', async (_, type, body, status) => {
      const headers = { 'Content-Type': type, ...(body === '' ? { 'Content-Length': '0' } : {}) };
      expectTesseraError(await exchange(t, request('POST', '/admin/users', headers, body)), status);
    });
  });

  describe('a known path asked with a method it does not take (RFC 9110 §15.5.6)', () => {
    it.each(['/oauth/token', '/oauth/introspect', '/oauth/revoke'])('%s answers 405 with Allow: POST', async (path) => {
      for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const answer = await exchange(t, request(method, `${path}?${MARKER}=1`, { Origin: 'http://evil.example' }));
        expectTesseraError(answer, 405);
        expect(answer.headers.get('allow')).toBe('POST');
        expect(answer.headers.get('access-control-allow-origin')).toBeUndefined();
      }
      const head = await fetch(`${t.url}${path}`, { method: 'HEAD' });
      expect([head.status, head.headers.get('allow')]).toEqual([405, 'POST']);
    });

    it.each(['/oauth/jwks', '/.well-known/oauth-authorization-server', '/healthz'])('%s answers 405 with Allow: GET, HEAD', async (path) => {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const answer = await exchange(t, request(method, path, { 'Content-Type': 'application/x-www-form-urlencoded' }, `${MARKER}=1`));
        expectTesseraError(answer, 405);
        expect(answer.headers.get('allow')).toBe('GET, HEAD');
      }
    });

    it('names every method of a path that has several, parameters included', async () => {
      expect((await exchange(t, request('PUT', '/admin/clients'))).headers.get('allow')).toBe('GET, HEAD, POST');
      expect((await exchange(t, request('PUT', `/admin/clients/${MARKER}`))).headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE');
    });

    it('keeps 404 for a path that does not exist, and the routes themselves answer as before', async () => {
      expectTesseraError(await exchange(t, request('GET', `/oauth/${MARKER}`)), 404, 'not_found');
      expectTesseraError(await exchange(t, request('POST', `/no/such/${MARKER}`)), 404, 'not_found');
      const token = await exchange(t, request('POST', '/oauth/token', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'grant_type=password'));
      expectTesseraError(token, 401, 'invalid_client');
      expect((await fetch(`${t.url}/oauth/jwks`)).status).toBe(200);
    });
  });
});
