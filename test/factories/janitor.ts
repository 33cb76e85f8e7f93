import type { TestApp } from '../setup/app.js';
import { type HttpResult, token, type TestClient } from './index.js';

export const DAY = 86_400;

/** Exchanges a refresh token; fails the test unless it succeeds. */
export async function refresh(t: TestApp, client: TestClient, refreshToken: string): Promise<Record<string, string>> {
  const result = await token(t, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
  if (result.status !== 200) throw new Error(`refresh failed: ${result.status} ${result.text}`);
  return result.body as Record<string, string>;
}

/** A client_credentials access token; fails the test unless it is issued. */
export async function machineToken(t: TestApp, client: TestClient): Promise<string> {
  const result: HttpResult = await token(t, client, { grant_type: 'client_credentials', scope: 'read' });
  if (result.status !== 200) throw new Error(`client_credentials failed: ${result.status} ${result.text}`);
  return result.body.access_token as string;
}

export const TABLES = ['families', 'refresh_tokens', 'opaque_access_tokens', 'revoked_access_tokens', 'revocation_events', 'audit_events', 'login_throttle'] as const;
export type Table = (typeof TABLES)[number];

/** Rows per table, read in one statement. */
export async function rowCounts(t: TestApp): Promise<Record<Table, number>> {
  const [row] = await t.db.dataSource.query<Array<Record<Table, number>>>(
    `SELECT ${TABLES.map((table) => `(SELECT count(*)::int FROM ${table}) AS ${table}`).join(', ')}`,
  );
  return row;
}
