import { randomBytes } from 'node:crypto';
import type { Client } from '../../src/clients/client.js';
import { ClientsService, type NewClient } from '../../src/clients/clients.service.js';
import type { User } from '../../src/users/user.js';
import { UsersService } from '../../src/users/users.service.js';
import type { TestApp } from '../setup/app.js';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${++sequence}-${randomBytes(3).toString('hex')}`;

export interface TestUser {
  readonly user: User;
  readonly username: string;
  readonly password: string;
}

export async function createUser(t: TestApp, overrides: { username?: string; password?: string; admin?: boolean } = {}): Promise<TestUser> {
  const username = overrides.username ?? unique('user');
  const password = overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const user = await t.app.get(UsersService).create({ username, password, admin: overrides.admin }, 'test');
  return { user, username, password };
}

export interface TestClient {
  readonly client: Client;
  readonly id: string;
  readonly secret: string | undefined;
  /** the Authorization header value for client_secret_basic */
  readonly basic: string;
}

export async function createClient(t: TestApp, overrides: Partial<NewClient> = {}): Promise<TestClient> {
  const input: NewClient = {
    id: unique('client'),
    type: 'confidential',
    grantTypes: ['password', 'refresh_token', 'client_credentials'],
    scopes: ['read', 'write', 'admin'],
    ...overrides,
  };
  const { client, secret } = await t.app.get(ClientsService).create(input, 'test');
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret ?? '')}`).toString('base64')}`;
  return { client, id: client.id, secret, basic };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** POSTs an application/x-www-form-urlencoded body, the way OAuth clients do. */
export async function postForm(
  t: Pick<TestApp, 'url'>,
  path: string,
  params: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
  const response = await fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return readResult(response);
}

/** A response as tests read it: status, headers, the raw text and, when it is JSON, the body. */
export async function readResult(response: Response): Promise<HttpResult> {
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** The token endpoint, authenticated with client_secret_basic (or as a public client). */
export function token(t: Pick<TestApp, 'url'>, client: TestClient, params: Record<string, string>): Promise<HttpResult> {
  return client.secret === undefined
    ? postForm(t, '/oauth/token', { ...params, client_id: client.id })
    : postForm(t, '/oauth/token', params, { authorization: client.basic });
}

/** Logs a user in with the password grant; fails the test unless it succeeds. */
export async function login(t: TestApp, client: TestClient, user: TestUser, scope?: string): Promise<Record<string, string>> {
  const result = await token(t, client, {
    grant_type: 'password',
    username: user.username,
    password: user.password,
    ...(scope ? { scope } : {}),
  });
  if (result.status !== 200) throw new Error(`login failed: ${result.status} ${result.text}`);
  return result.body as Record<string, string>;
}
