import type { Client } from '../clients/client.js';

/** What decides whether a client may keep its sessions in cookies. */
export type BrowserClientShape = Pick<Client, 'type' | 'grantTypes' | 'allowedOrigins'>;

/**
 * A browser client: a public client (a page keeps no secret, so /auth/login must not
 * stand in for the authentication of a confidential one) registered with the origins
 * its pages are served from and with the password and refresh_token grants that the
 * cookie endpoints run for it.
 */
export function isBrowserClient(client: BrowserClientShape): boolean {
  return (
    client.type === 'public' &&
    client.allowedOrigins.length > 0 &&
    client.grantTypes.includes('password') &&
    client.grantTypes.includes('refresh_token')
  );
}

/**
 * A client whose pages call the token endpoint themselves (a SPA with the code flow, its
 * tokens bound by DPoP): public, with the origins its pages are served from.
 */
export function isPageTokenClient(client: BrowserClientShape): boolean {
  return client.type === 'public' && client.allowedOrigins.length > 0;
}

/** Owned by browser/; implemented in persistence/. */
export abstract class BrowserOriginStore {
  /** The clients registered with this exact origin. */
  abstract clientsWithOrigin(origin: string): Promise<BrowserClientShape[]>;
}
