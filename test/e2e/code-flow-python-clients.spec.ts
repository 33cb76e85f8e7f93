import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient, createUser, type TestClient, type TestUser } from '../factories/index.js';
import { introspect } from '../factories/resource-server.js';
import { startAtOwnIssuer, type TestApp } from '../setup/app.js';
import { debianPython, type PythonEnvironment } from '../setup/debian-python.js';

const run = promisify(execFile);
const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), 'python');
const REDIRECT = 'http://127.0.0.1:8400/callback';

interface ScriptResult {
  readonly state: string;
  readonly callback: string;
  readonly token: Record<string, unknown>;
  readonly refreshed: Record<string, unknown>;
}

/**
 * The authorization code flow through the two Python client libraries' own main paths
 * (Authlib and requests-oauthlib, Debian's packages, unpacked for Debian's python3 when the
 * system lacks them). A script per library builds the authorization URL, plays the person
 * on Tessera's login and consent pages, exchanges the code with PKCE S256 and refreshes;
 * what it got is then checked here by introspection.
 */
describe('Python client libraries through the authorization code flow', () => {
  let python: PythonEnvironment;
  let t: TestApp;
  let user: TestUser;
  let resourceServer: TestClient;

  beforeAll(async () => {
    // No skip: a machine that cannot provide the libraries fails this test.
    python = await debianPython(['python3-authlib', 'python3-requests-oauthlib']);
    t = await startAtOwnIssuer({});
    user = await createUser(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  }, 300_000);
  afterAll(async () => {
    await t?.close();
  });

  async function loginWith(script: string, client: TestClient): Promise<ScriptResult> {
    const given = {
      issuer: t.config.issuer,
      client_id: client.id,
      client_secret: client.secret,
      redirect_uri: REDIRECT,
      scope: 'read write',
      username: user.username,
      password: user.password,
    };
    // Asynchronous: the server answering the script runs in this process.
    const { stdout } = await run(python.python, [join(SCRIPTS, script)], { cwd: SCRIPTS, env: { ...python.env, TESSERA_LOGIN: JSON.stringify(given) } });
    return JSON.parse(stdout) as ScriptResult;
  }

  async function expectActive(token: unknown, client: TestClient, tokenTypeHint?: string): Promise<void> {
    const result = await introspect(t, resourceServer, String(token), tokenTypeHint ? { token_type_hint: tokenTypeHint } : {});
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ active: true, client_id: client.id, username: user.username, scope: 'read write' });
  }

  async function expectLogin(result: ScriptResult, client: TestClient): Promise<void> {
    const callback = new URL(result.callback);
    expect(callback.searchParams.get('state')).toBe(result.state);
    expect(callback.searchParams.get('iss')).toBe(t.config.issuer);
    expect(result.token).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String) });
    // oauthlib hands the scope back as a list, Authlib as the string received.
    expect([result.token.scope].flat().join(' ')).toBe('read write');
    expect(result.refreshed.access_token).not.toBe(result.token.access_token);
    expect(result.refreshed.refresh_token).not.toBe(result.token.refresh_token);
    await expectActive(result.token.access_token, client);
    await expectActive(result.refreshed.access_token, client);
    await expectActive(result.refreshed.refresh_token, client, 'refresh_token');
  }

  it.each([
    ['Authlib (client_secret_post)', 'authlib_login.py'],
    ['requests-oauthlib (client_secret_basic)', 'requests_oauthlib_login.py'],
  ])('%s: authorize, login and consent pages, code exchange with PKCE S256, refresh', async (_name, script) => {
    const client = await createClient(t, { grantTypes: ['authorization_code', 'refresh_token'], redirectUris: [REDIRECT], scopes: ['read', 'write'] });
    await expectLogin(await loginWith(script, client), client);
  });

  it('provisions the libraries for Debian\'s python3, not the python3 on PATH', async () => {
    const { stdout } = await run(python.python, ['-c', 'import authlib, requests_oauthlib, sys; print(sys.executable, authlib.__version__)'], { env: python.env });
    expect(stdout).toMatch(/^\/usr\/bin\/python3 \d+\.\d+/);
  });
});
