import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/command-table.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';
import { childEnv, type Finished, lines, runNode } from '../setup/processes.js';

// Help and usage errors are answered before the application (or the database) is touched;
// only the last test, which proves the module hook sees Nest, runs a real command.

const SECRETS = {
  KEY_ENCRYPTION_SECRET: 'cli-test-key-encryption-secret-0123456789',
  TOKEN_HASH_SECRET: 'cli-test-token-hash-secret-0123456789abcd',
};

let db: TestDatabase;

function tessera(args: string[], options: { nodeOptions?: string[] } = {}): Promise<Finished> {
  const env = childEnv({ DATABASE_URL: db.url, ...SECRETS });
  return runNode([...(options.nodeOptions ?? []), 'bin/tessera.js', ...args], env, { timeoutMs: 60_000 });
}

function expectOneLineFailure(result: Finished, code: number): string {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  const stderr = lines(result.stderr);
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(/^tessera: \S/);
  return stderr[0];
}

beforeAll(async () => {
  const build = await runNode(['scripts/build-if-needed.js'], childEnv(), { timeoutMs: 120_000 });
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
  db = await createTestDatabase({ migrate: true });
}, 180_000);

afterAll(async () => {
  await db?.drop();
});

describe('usage and help', () => {
  const helpOf = async (args: string[]) => {
    const result = await tessera(args);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout;
  };

  it('with no command prints the usage on stderr and exits 2', async () => {
    const result = await tessera([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^usage: tessera <command>/);
    for (const command of COMMANDS) expect(result.stderr).toContain(`  ${command.name}`);
  });

  it('--help, -h and help print every command on stdout and exit 0', async () => {
    const help = await helpOf(['--help']);
    for (const command of COMMANDS) expect(help).toContain(`  ${command.name}`);
    expect(await helpOf(['-h'])).toBe(help);
    expect(await helpOf(['help'])).toBe(help);
  });

  it('help <group> lists that group only', async () => {
    const help = await helpOf(['help', 'users']);
    for (const sub of ['create', 'list', 'disable', 'enable', 'set-password', 'reset-mfa']) expect(help).toContain(`  users ${sub}`);
    expect(help).not.toContain('clients');
    expect(await helpOf(['users', '--help'])).toBe(help);
  });

  it('help <command> and <command> --help describe its arguments and every option', async () => {
    const help = await helpOf(['clients', 'create', '--help']);
    expect(help).toMatch(/^usage: tessera clients create <client_id> --type confidential\|public --grants <g1,g2>/);
    for (const option of ['--type', '--grants', '--scopes', '--introspect', '--origins', '--access-token-format', '--audience', '--secret-stdin']) {
      expect(help).toContain(`\n  ${option}`);
    }
    expect(await helpOf(['help', 'clients', 'create'])).toBe(help);
    const rotate = await helpOf(['clients', 'rotate-secret', 'web', '-h']);
    expect(rotate).toContain('--grace <seconds>');
    expect(await helpOf(['help', 'clients', 'rotate-secret'])).toBe(rotate);
  });

  it.each<[string, string[], string | RegExp]>([
    ['a group without its command', ['users'], 'tessera: "users" needs a command: users create|list|disable|enable|set-password|reset-mfa'],
    ['a misspelt command', ['client', 'create', 'x'], /^tessera: unknown command "client create"; did you mean "clients create"\?/],
    ['a misspelt subcommand', ['users', 'lst'], /^tessera: unknown command "users lst"; did you mean "users list"\?/],
    ['an unknown command', ['frobnicate'], /^tessera: unknown command "frobnicate" \(commands: migrate, users, clients, keys, sessions, cleanup/],
    ['help for an unknown command', ['help', 'clients', 'frob'], /^tessera: unknown command "clients frob"/],
    ['a misspelt option', ['clients', 'create', 'x', '--type', 'public', '--grants', 'password', '--scope', 'a'], /unknown option --scope for "clients create"; did you mean --scopes\?$/],
    ['an option of another command', ['users', 'list', '--admin'], /^tessera: unknown option --admin for "users list" \(options: --limit\)$/],
    ['a missing argument', ['users', 'create'], /^tessera: missing <username>: tessera users create <username>/],
    ['a missing client id', ['clients', 'show'], /^tessera: missing <client_id>/],
    ['an extra argument', ['clients', 'show', 'a', 'b'], /^tessera: unexpected argument "b"/],
    ['a missing value', ['clients', 'create', 'x', '--grants', 'password', '--type'], /^tessera: --type needs a value: confidential\|public$/],
    ['a value for a switch', ['users', 'create', 'x', '--admin=yes'], /^tessera: --admin takes no value$/],
    ['an option given twice', ['users', 'list', '--limit', '1', '--limit', '2'], /^tessera: --limit is given more than once$/],
    ['a bad --limit', ['users', 'list', '--limit', '0'], /^tessera: --limit must be an integer from 1 to 10000 \(got "0"\)$/],
    ['a bad --grace', ['clients', 'rotate-secret', 'x', '--grace', '604801'], /^tessera: --grace must be an integer from 0 to 604800/],
    ['an update with nothing to change', ['clients', 'update', 'x'], /^tessera: nothing to change: give at least one of --grants/],
    ['a required option missing', ['sessions', 'revoke'], /^tessera: --user is required/],
  ])('refuses %s with exit 2 and one line', async (_case, args, reason) => {
    const line = expectOneLineFailure(await tessera(args), 2);
    if (typeof reason === 'string') expect(line).toBe(reason);
    else expect(line).toMatch(reason);
  });

  describe('loads the application only for a valid command', () => {
    let dir: string;
    let log: string;
    beforeAll(() => {
      // A module resolve hook (node:module register) that writes down every module loaded.
      dir = mkdtempSync(join(tmpdir(), 'tessera-cli-modules-'));
      log = join(dir, 'modules.log');
      writeFileSync(
        join(dir, 'hook.mjs'),
        `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}`,
      );
      writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hook.mjs')}`)});\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function loadedBy(args: string[]): Promise<{ result: Finished; modules: string[] }> {
      writeFileSync(log, '');
      const result = await tessera(args, { nodeOptions: ['--import', join(dir, 'register.mjs')] });
      return { result, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
    }

    const heavy = /\/node_modules\/(@nestjs\/|typeorm\/|pg\/|@electric-sql\/)|\/dist\/src\/(app\.module|cli\/run)\.js$/;

    it('--help and usage errors never import Nest, TypeORM, pg or the app module', async () => {
      for (const args of [['--help'], ['clients', 'create', '--help'], ['client', 'create', 'x'], ['users', 'create']]) {
        const { result, modules } = await loadedBy(args);
        expect(result.code === 0 || result.code === 2).toBe(true);
        expect(modules.some((url) => url.endsWith('/dist/src/cli/main.js'))).toBe(true);
        expect(modules.some((url) => url.endsWith('/dist/src/cli/command-table.js'))).toBe(true);
        expect(modules.filter((url) => heavy.test(url))).toEqual([]);
      }
    });

    it('a valid command does (the hook sees them)', async () => {
      const { result, modules } = await loadedBy(['users', 'list']);
      expect(result.code).toBe(0);
      expect(modules.some((url) => url.includes('/node_modules/@nestjs/core/'))).toBe(true);
      expect(modules.some((url) => url.endsWith('/dist/src/cli/run.js'))).toBe(true);
    });
  });
});
