import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';

/** A credential's JSON (WebAuthn §5.1.8 toJSON) is a few kilobytes; anything longer is not one. */
const MAX_JSON = 32_768;
const B64URL = z.string().regex(/^[A-Za-z0-9_-]*$/).max(MAX_JSON);
const ID = z.string().regex(/^[A-Za-z0-9_-]{16,1366}$/);

const Registration = z.object({
  id: ID,
  rawId: ID,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: B64URL,
    attestationObject: B64URL,
    transports: z.array(z.string().max(32)).max(8).optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
});

const Authentication = z.object({
  id: ID,
  rawId: ID,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: B64URL,
    authenticatorData: B64URL,
    signature: B64URL,
    userHandle: B64URL.optional(),
  }),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
});

const ClientData = z.object({ challenge: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/) });

/** A posted credential and the challenge its client data names, or undefined when it is not one. */
export interface Posted<T> {
  readonly response: T;
  readonly challenge: string;
}

export function registrationResponse(text: string | undefined): Posted<RegistrationResponseJSON> | undefined {
  const response = parse(Registration, text);
  return response && withChallenge(response as RegistrationResponseJSON);
}

export function authenticationResponse(text: string | undefined): Posted<AuthenticationResponseJSON> | undefined {
  const response = parse(Authentication, text);
  return response && withChallenge(response as AuthenticationResponseJSON);
}

function parse<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (text === undefined || text.length > MAX_JSON) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The challenge is read before verification to find (and burn) the stored one; verification then checks it all. */
function withChallenge<T extends { response: { clientDataJSON: string } }>(response: T): Posted<T> | undefined {
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(response.response.clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = ClientData.safeParse(clientData);
  return parsed.success ? { response, challenge: parsed.data.challenge } : undefined;
}
