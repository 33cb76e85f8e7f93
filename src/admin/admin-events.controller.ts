import { Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { AdminController } from './admin-controller.decorator.js';
import { AUDIT_EVENT_TYPES } from '../audit/audit-event.js';
import { AuditService } from '../audit/audit.service.js';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ADMIN_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { pageBody, pageQuery, pageRequest, SERIAL_KEY } from '../http/pagination.js';
import { JsonQuery } from '../http/schema-input.js';
import { oneOf, timestamp, uuid } from '../http/schema-rules.js';
import { KeysService } from '../oauth/keys/keys.service.js';
import { KeyPendingError } from '../oauth/keys/signing-key.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { EventPage, eventView } from './views.js';

const EventQuery = z.strictObject({
  type: oneOf(AUDIT_EVENT_TYPES).optional(),
  user_id: uuid.optional(),
  since: timestamp.meta({ description: 'inclusive' }).optional(),
  until: timestamp.meta({ description: 'exclusive' }).optional(),
  ...pageQuery(SERIAL_KEY),
});
const RotatedKey = z
  .object({
    kid: z.string().meta({ description: 'the new key, published in the JWKS at once' }),
    alg: z.string().meta({ description: 'its algorithm: the configured SIGNING_ALG' }),
    activates_at: z.string().meta({ description: 'when it starts signing (KEY_PUBLISH_DELAY from now)' }),
  })
  .meta({ id: 'RotatedKey' });

@AdminController('admin')
export class AdminEventsController {
  constructor(
    private readonly audit: AuditService,
    private readonly keys: KeysService,
  ) {}

  /** The audit log, newest first: `since` inclusive, `until` exclusive. */
  @Get('events')
  @Operation({ summary: 'Read the audit log, newest first', returns: EventPage, fails: [...ADMIN_FAILURES, Fails.query] })
  async events(@JsonQuery(EventQuery) query: z.output<typeof EventQuery>) {
    const { type, user_id: userId, since, until, ...page } = query;
    return pageBody(await this.audit.query({ type, userId, since, until }, pageRequest(page)), eventView);
  }

  /** CONTRACT "Signing keys": the new key is pending until KEY_PUBLISH_DELAY has passed. */
  @Post('keys/rotate')
  @HttpCode(200)
  @Operation({
    summary: 'Rotate the signing key',
    description:
      'The new key is published in the JWKS at once and signs from `activates_at` on (KEY_PUBLISH_DELAY later); ' +
      'the old key signs until then and stays in the JWKS until every token it signed has expired. ' +
      'Refused (409) while the previous rotation\'s key is still pending.',
    returns: RotatedKey,
    fails: [...ADMIN_FAILURES, Fails.other(409, 'invalid_request', 'a key is already pending')],
  })
  async rotate(@CurrentPrincipal() admin: Principal) {
    try {
      const key = await this.keys.rotate(actorOf(admin));
      return { kid: key.kid, alg: key.alg, activates_at: key.activatesAt.toISOString() };
    } catch (error) {
      if (error instanceof KeyPendingError) throw new OAuthError('invalid_request', error.message, {}, 409);
      throw error;
    }
  }
}
