import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { type Passkey, PasskeyStore } from '../../src/passkeys/passkey.js';
import type { TestApp } from '../setup/app.js';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

/**
 * A software authenticator for HTTP tests: an ES256 key whose credential is stored for a
 * user directly, and assertions (WebAuthn §6.1 authenticator data, §5.8.1 client data)
 * signed with it, any field of which a test may falsify.
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(32).toString('base64url');
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  constructor() {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  /** The credential stored for `userId`, as a registration would have stored it. */
  async register(t: TestApp, userId: string, signCount = 0): Promise<Passkey> {
    const passkey: Passkey = {
      id: randomUUID(),
      userId,
      credentialId: this.credentialId,
      publicKey: new Uint8Array(this.coseKey()),
      signCount,
      transports: ['internal'],
      backupEligible: false,
      backedUp: false,
      aaguid: '00000000-0000-0000-0000-000000000000',
      name: 'soft key',
      createdAt: new Date(t.clock.now()),
      lastUsedAt: null,
    };
    await t.app.get(PasskeyStore).insert(passkey);
    return passkey;
  }

  /** The credential JSON a browser posts, signing `challenge` for `origin` and `rpId`. */
  assertion(challenge: string, options: { origin: string; rpId: string; signCount: number; userHandle?: string; flags?: number }): string {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(options.signCount);
    // UP (0x01) and UV (0x04) unless told otherwise.
    const authenticatorData = Buffer.concat([sha256(options.rpId), Buffer.from([options.flags ?? 0x05]), counter]);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin: options.origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.privateKey);
    return JSON.stringify({
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(options.userHandle ? { userHandle: Buffer.from(options.userHandle).toString('base64url') } : {}),
      },
      clientExtensionResults: {},
    });
  }

  /** COSE_Key (RFC 9053 §7.1.1): {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, in CBOR. */
  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const y = Buffer.from(jwk.y!, 'base64url');
    return Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]), x, Buffer.from([0x22, 0x58, 0x20]), y]);
  }
}
