import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';

export interface ReceivedLogout {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly path: string;
  readonly logoutToken: string;
}

/** How the relying party answers: a status, or never (a hanging endpoint). */
export type ReceiverAnswer = number | 'hang';

/**
 * A relying party's back-channel logout endpoint on loopback (Back-Channel Logout 1.0
 * §2.5): records each form POST and answers as told.
 */
export class LogoutReceiver {
  readonly received: ReceivedLogout[] = [];
  answer: ReceiverAnswer = 200;
  /** called for each request, before it is answered */
  onRequest: (() => void) | undefined;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        this.received.push({
          headers: request.headers,
          method: request.method ?? '',
          path: request.url ?? '',
          logoutToken: new URLSearchParams(body).get('logout_token') ?? '',
        });
        this.onRequest?.();
        if (this.answer === 'hang') {
          this.hanging.add(response);
          return;
        }
        response.writeHead(this.answer, { 'cache-control': 'no-store' }).end();
      });
    });
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/backchannel-logout`;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Verifies a logout token against Tessera's JWKS as a relying party must (§2.6). */
export async function verifyLogoutToken(tesseraUrl: string, token: string, issuer: string, audience: string, now?: Date): Promise<JWTPayload> {
  const jwks = createLocalJWKSet((await (await fetch(`${tesseraUrl}/oauth/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
  const { payload } = await jwtVerify(token, jwks, { typ: 'logout+jwt', issuer, audience, requiredClaims: ['iat', 'exp', 'jti', 'sub', 'sid', 'events'], currentDate: now });
  return payload;
}
