import { InvalidInputError } from '../common/errors.js';
import { oneLineError } from '../common/one-line-error.js';
import { UsageError } from './arguments.js';

/** A command that could not be carried out: no such user or client (exit status 1). */
export class CommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailed';
  }
}

// The services name the JSON members of the admin API; on the command line the same rule
// is about a flag, an argument or an input.
const FLAGS: Readonly<Record<string, string>> = {
  type: '--type',
  grants: '--grants',
  scopes: '--scopes',
  introspect: '--introspect',
  origins: '--origins',
  access_token_format: '--access-token-format',
  audience: '--audience',
  redirect_uris: '--redirect-uris',
  post_logout_redirect_uris: '--post-logout-redirect-uris',
  require_par: '--require-par',
  client_name: '--name',
  dpop_bound_access_tokens: '--require-dpop',
  require_mfa: '--require-mfa',
  backchannel_logout_uri: '--backchannel-logout-uri',
  grace_seconds: '--grace',
  secret: 'the secret from standard input',
  password: 'the password',
  username: '<username>',
  client_id: '<client_id>',
};

/**
 * The one line and the exit status of a failed command: 2 when the command line or its
 * input is wrong (run it again, differently), 1 when it could not be carried out.
 */
export function describeFailure(error: unknown): { message: string; exitCode: 1 | 2 } {
  if (error instanceof UsageError) return { message: error.message, exitCode: 2 };
  if (error instanceof InvalidInputError) {
    const said = error.message.slice(error.field.length + 2);
    return { message: `${FLAGS[error.field] ?? error.field}: ${said}`, exitCode: 2 };
  }
  return { message: oneLineError(error), exitCode: 1 };
}
