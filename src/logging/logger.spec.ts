import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { inRequest, requestIdFor } from './request-context.js';

function capture(level: Parameters<typeof createLogger>[0] = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, { destination: stream }), lines };
}

describe('TesseraLogger', () => {
  it('writes Nest-style calls as JSON with level, context and message', () => {
    const { logger, lines } = capture();
    logger.log('listening', 'main');
    logger.verbose('detail', 'keys');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', context: 'main', message: 'listening', pid: process.pid }),
      expect.objectContaining({ level: 'trace', context: 'keys', message: 'detail' }),
    ]);
  });

  it('honours the level: silent writes nothing, warn drops info', () => {
    const silent = capture('silent');
    silent.logger.error('boom', 'x');
    expect(silent.lines).toEqual([]);
    const warn = capture('warn');
    warn.logger.log('quiet', 'x');
    warn.logger.warn('loud', 'x');
    expect(warn.lines.map((line) => line.message)).toEqual(['loud']);
  });

  it("writes Nest's boot narration at debug, so info shows only Tessera's own lines", () => {
    const info = capture('info');
    info.logger.log('Mapped {/oauth/token, POST} route', 'RouterExplorer');
    info.logger.log('AppModule dependencies initialized', 'InstanceLoader');
    info.logger.log('Nest application successfully started', 'NestApplication');
    info.logger.log('listening on http://127.0.0.1:3000', 'main');
    info.logger.error('Nest could not find X element', 'NestFactory');
    expect(info.lines.map((line) => line.message)).toEqual(['listening on http://127.0.0.1:3000', 'Nest could not find X element']);
    const debug = capture('debug');
    debug.logger.log('Mapped {/oauth/token, POST} route', 'RouterExplorer');
    expect(debug.lines).toEqual([expect.objectContaining({ level: 'debug', context: 'RouterExplorer' })]);
  });

  it('puts the id of the request a line is written for on that line, and keeps the context', () => {
    const { logger, lines } = capture();
    logger.warn('inside', inRequest('req-1'), 'refresh');
    logger.error('failed', '    at frame (file.js:1:1)', inRequest('req-2'), 'http');
    logger.warn('outside', inRequest(undefined), 'refresh');
    expect(lines[0]).toMatchObject({ request_id: 'req-1', message: 'inside', context: 'refresh' });
    expect(lines[1]).toMatchObject({ request_id: 'req-2', message: 'failed', context: 'http', stack: '    at frame (file.js:1:1)' });
    expect(lines[2]).not.toHaveProperty('request_id');
    expect(lines[2]).toMatchObject({ context: 'refresh' });
  });

  it('censors credentials in logged objects at any depth', () => {
    const { logger, lines } = capture();
    const secret = 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ';
    logger.log({ client_id: 'web', client_secret: secret, nested: { headers: { authorization: `Basic ${secret}`, cookie: secret }, refresh_token: secret } }, 'x');
    logger.log({ password: secret, token: secret }, 'y');
    const text = JSON.stringify(lines);
    expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ data: { client_id: 'web', client_secret: '[redacted]' } });
  });

  it('logs an error with its frames and a masked message, never the message line of the stack', () => {
    const { logger, lines } = capture();
    const token = 'Q2xpZW50U2VjcmV0VGhhdE11c3ROb3RMZWFr0123456789';
    const error = new SyntaxError(`Unexpected token in "${token}"`);
    logger.error(error.message.replace(token, '[x]'), error.stack, 'http');
    logger.error(error);
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines[0]).toMatchObject({ level: 'error', context: 'http' });
    expect(String(lines[0].stack)).toMatch(/^\s+at /);
    expect(lines[1]).toMatchObject({ error: 'SyntaxError', message: 'Unexpected token in "[redacted]"' });
  });
});

describe('requestIdFor', () => {
  it('keeps a short, safe X-Request-Id and replaces anything else', () => {
    expect(requestIdFor('abc.DEF_1-2')).toBe('abc.DEF_1-2');
    for (const unsafe of ['', 'a b', 'x'.repeat(65), 'id\n{"level":"fatal"}', ['a', 'b'], undefined]) {
      expect(requestIdFor(unsafe)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});
