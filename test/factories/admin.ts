import type { TestApp } from '../setup/app.js';
import { createClient, createUser, type HttpResult, login, readResult, type TestClient, type TestUser } from './index.js';

/** A JSON request with an optional Bearer token, the way admin tools and SPAs call Tessera. */
export async function api(
  t: Pick<TestApp, 'url'>,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${t.url}${path}`, { method, headers, body });
  return readResult(response);
}

export interface TestAdmin extends TestUser {
  /** an access token with scope admin */
  readonly token: string;
  readonly client: TestClient;
}

/** An admin user logged in with scope admin through a first-party client. */
export async function createAdmin(t: TestApp, client?: TestClient): Promise<TestAdmin> {
  const app = client ?? (await createClient(t));
  const admin = await createUser(t, { admin: true });
  const { access_token } = await login(t, app, admin, 'admin');
  return { ...admin, token: access_token, client: app };
}

/** Rows of a SQL query on the test's database. */
export function rows<T = Record<string, unknown>>(t: TestApp, sql: string, params: unknown[] = []): Promise<T[]> {
  return t.db.dataSource.query<T[]>(sql, params);
}
