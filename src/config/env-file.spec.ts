import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.js';
import { malformedLine, withEnvFile } from './env-file.js';

describe('withEnvFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(text: string): void {
    writeFileSync(join(dir, '.env'), text);
  }

  it('adds the settings of .env under the real environment, which wins', () => {
    write('# local settings\nPORT=4000\nexport LOG_LEVEL=debug\nISSUER="http://localhost:4000"\n\nNOTE="two\nlines"\n');
    const env = withEnvFile({ LOG_LEVEL: 'warn', PATH: '/bin', UNSET: undefined }, dir);
    expect(env).toEqual({ PORT: '4000', LOG_LEVEL: 'warn', ISSUER: 'http://localhost:4000', NOTE: 'two\nlines', PATH: '/bin' });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('lets an empty real variable win too (it was set on purpose)', () => {
    write('DATABASE_URL=postgres://db/x\n');
    expect(withEnvFile({ DATABASE_URL: '' }, dir).DATABASE_URL).toBe('');
  });

  it('returns the environment itself when there is no .env', () => {
    const env = { PORT: '1' };
    expect(withEnvFile(env, dir)).toBe(env);
  });

  it.each([
    ['a line that is no assignment', 'PORT=1\nthis is not a setting\n', 2],
    ['a name alone', 'PORT=1\n\nLOG_LEVEL\n', 3],
    ['an assignment without a name', '=value\n', 1],
    ['a name with a space', 'LOG LEVEL=info\n', 1],
    ['a quote that is never closed', 'PORT=1\nKEY="secret-value-0123\nmore\n', 2],
  ])('refuses %s with one line naming the line, never its text', (_case, text, line) => {
    write(text);
    let error: unknown;
    try {
      withEnvFile({}, dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`.env line ${line} must be NAME=value, a # comment or blank`);
    expect((error as Error).message).not.toContain('secret-value');
  });

  it('refuses a .env that cannot be read', () => {
    mkdirSync(join(dir, '.env'));
    expect(() => withEnvFile({}, dir)).toThrow(/^\.env must be a readable file when present \(got "EISDIR"\)$/);
    if (process.getuid?.() !== 0) {
      rmSync(join(dir, '.env'), { recursive: true });
      write('PORT=1\n');
      chmodSync(join(dir, '.env'), 0o000);
      expect(() => withEnvFile({}, dir)).toThrow(/EACCES/);
    }
  });
});

describe('malformedLine', () => {
  it('accepts comments, blank lines, export, quotes of every kind and CRLF', () => {
    expect(malformedLine("# c\r\n\r\nA=1\r\nexport B = 2\r\nC='x y'\r\nD=`multi\nline`\nE=\"#not a comment\"\n  # indented\n")).toBeUndefined();
  });
});
