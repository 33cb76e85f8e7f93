import { z } from 'zod';
import { TokenResponse } from '../oauth/oauth.schemas.js';

/**
 * The /auth/login body, for the OpenAPI document: loginParams reads it, as a form or a
 * JSON object of strings, where an empty value counts as absent.
 */
export const LoginForm = z
  .object({
    username: z.string(),
    password: z.string(),
    client_id: z.string().meta({ description: 'a client registered with browser origins' }),
    scope: z.string().meta({ description: 'space-separated' }).optional(),
  })
  .meta({ id: 'LoginRequest' });

/** The refresh token travels only in its HttpOnly cookie, never in a body. */
export const BrowserTokenResponse = TokenResponse.omit({ refresh_token: true }).meta({
  id: 'BrowserTokenResponse',
  description: 'RFC 6749 §5.1 without refresh_token',
});
