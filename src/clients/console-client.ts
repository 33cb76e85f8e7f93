import { InvalidInputError } from '../common/errors.js';
import type { Client } from './client.js';

/** Tessera's admin console: a first-party public client the migrations create. */
export const CONSOLE_CLIENT_ID = 'tessera-console';

/** Where the console's authorization responses go: derived from ISSUER, never stored. */
export function consoleRedirectUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/console/callback`;
}

/**
 * The console client as the authorization endpoint must see it: its one redirect URI is
 * the issuer's, whatever the row says (it stores none), so strict matching holds against
 * exactly `${ISSUER}/console/callback` and a changed ISSUER needs no migration.
 */
export function withConsoleRedirect<T extends Client | undefined>(client: T, issuer: string): T {
  if (client === undefined || client.id !== CONSOLE_CLIENT_ID) return client;
  return { ...client, redirectUris: [consoleRedirectUri(issuer)], postLogoutRedirectUris: [] };
}

/** The admin API may not change, rotate or delete the console's client: the console would stop working. */
export function refuseConsoleClientChange(id: string): void {
  if (id === CONSOLE_CLIENT_ID) {
    throw new InvalidInputError('client_id', `${CONSOLE_CLIENT_ID} is Tessera's own console client, managed by the migrations; it cannot be changed or deleted`);
  }
}
