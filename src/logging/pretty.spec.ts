import { Writable } from 'node:stream';
import { createLogger } from './logger.js';
import { prettyLine, resolveFormat } from './pretty.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('trace', { format: 'pretty', destination: stream }), text: () => text };
}

describe('LOG_FORMAT', () => {
  it('auto is pretty on a terminal and JSON elsewhere; json and pretty are forced', () => {
    expect(resolveFormat('auto', true)).toBe('pretty');
    expect(resolveFormat('auto', false)).toBe('json');
    expect(resolveFormat('json', true)).toBe('json');
    expect(resolveFormat('pretty', false)).toBe('pretty');
  });
});

describe('pretty lines', () => {
  it('show time, level, context, message and the other fields as key=value', () => {
    const { logger, text } = capture();
    logger.warn('refresh token reused', 'refresh');
    logger.pino.info({ request_id: 'req-1', route: '/oauth/token', status: 400, note: 'two words' }, 'request completed');
    const [first, second] = text().split('\n');
    expect(first).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[refresh\] refresh token reused$/);
    expect(second).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}request completed request_id=req-1 route=\/oauth\/token status=400 note="two words"$/);
    expect(text()).not.toMatch(/"level"|pid/);
  });

  it('put the stack frames on indented lines below', () => {
    const { logger, text } = capture();
    logger.error(new TypeError('bad'));
    const lines = text().trimEnd().split('\n');
    expect(lines[0]).toMatch(/ERROR bad error=TypeError$/);
    expect(lines.length).toBeGreaterThan(1);
    for (const frame of lines.slice(1)) expect(frame).toMatch(/^ {4}at /);
  });

  it('are redacted exactly like JSON lines', () => {
    const { logger, text } = capture();
    const secret = 'c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ';
    logger.log({ client_id: 'web', client_secret: secret, nested: { headers: { authorization: `Basic ${secret}` }, refresh_token: secret } }, 'x');
    logger.pino.info({ password: secret, headers: { cookie: secret }, access_token: secret }, 'raw pino call');
    logger.error(new Error(`Unexpected token in "${secret}"`));
    expect(text()).not.toContain(secret);
    expect(text()).toContain('client_secret":"[redacted]"');
    expect(text()).toContain('password=[redacted]');
  });

  it('escape control characters, so a logged value cannot forge a line or drive the terminal', () => {
    const { logger, text } = capture();
    logger.warn('first\n12:00:00.000 INFO  forged', 'x');
    logger.pino.info({ user: 'a\u001b[2Jb' }, 'clear');
    const lines = text().trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('first\\n12:00:00.000 INFO  forged');
    expect(lines[1]).toContain('\\u001b[2J');
    expect(text()).not.toContain('\u001b');
  });

  it('pass a line that is not JSON through unchanged', () => {
    expect(prettyLine('plain words')).toBe('plain words\n');
  });
});
