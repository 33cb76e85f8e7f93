import { Body, Controller, Header, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Fails } from '../../http/api-errors.js';
import { Operation } from '../../http/openapi.js';
import { ClientAuthService } from '../client-auth/client-auth.service.js';
import { DpopService } from '../dpop/dpop.service.js';
import type { VerifiedProof } from '../dpop/dpop-proof.js';
import { OAuthError, type OAuthErrorCode } from '../errors/oauth-error.js';
import { type FormParams, formOf } from '../form/form-params.js';
import type { Client } from '../../clients/client.js';
import type { Parameters } from './authorization-request.js';
import { AuthorizationError, type AuthorizationErrorCode } from './authorization-error.js';
import { authorizationParameters } from './authorization-parameters.js';
import { AuthorizationPipeline } from './authorization-pipeline.js';
import { PushedRequestsService } from './pushed-requests.service.js';

const PushedRequestResponse = z
  .object({
    request_uri: z.string().meta({ description: 'urn:ietf:params:oauth:request_uri:…, for one authorization' }),
    expires_in: z.int().meta({ description: 'seconds' }),
  })
  .meta({ id: 'PushedAuthorizationResponse', description: 'RFC 9126 §2.2' });

const PushedRequestForm = z
  .object({
    response_type: z.literal('code'),
    client_id: z.string().optional(),
    redirect_uri: z.string().optional(),
    scope: z.string().optional(),
    state: z.string().optional(),
    code_challenge: z.string(),
    code_challenge_method: z.literal('S256'),
    nonce: z.string().optional(),
    prompt: z.string().optional(),
    max_age: z.string().optional(),
    login_hint: z.string().optional(),
    dpop_jkt: z.string().optional().meta({ description: 'RFC 9449 §10: the thumbprint of the DPoP key the code is bound to; a DPoP header does the same' }),
    client_secret: z.string().optional(),
  })
  .meta({ id: 'PushedAuthorizationRequest', description: 'RFC 9126 §2.1: the parameters of /oauth/authorize, with client authentication' });

const PUSH_ERRORS: Partial<Record<AuthorizationErrorCode, OAuthErrorCode>> = {
  invalid_scope: 'invalid_scope',
  unsupported_response_type: 'unsupported_response_type',
  unauthorized_client: 'unauthorized_client',
};

/** RFC 9126: the client sends the authorization request over its authenticated back channel. */
@ApiTags('oauth')
@Controller('oauth')
export class ParController {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly pipeline: AuthorizationPipeline,
    private readonly pushedRequests: PushedRequestsService,
    private readonly dpop: DpopService,
  ) {}

  @Post('par')
  @HttpCode(201)
  @ApiSecurity('client')
  @Header('Cache-Control', 'no-store')
  @Operation({
    summary: 'Push an authorization request (RFC 9126)',
    description:
      'Checked as /oauth/authorize would check it; the answer\'s request_uri then goes to /oauth/authorize with client_id. ' +
      'A DPoP proof in the DPoP header (RFC 9449 §10.1, nonce as at the token endpoint) binds the code to its key, as dpop_jkt does.',
    status: 201,
    form: PushedRequestForm,
    returns: PushedRequestResponse,
    fails: [
      Fails.form,
      Fails.other(400, 'invalid_scope', 'a scope is malformed or not registered for the client'),
      Fails.other(400, 'unsupported_response_type', 'response_type is not code'),
      Fails.other(400, 'unauthorized_client', 'the client is not registered for the authorization_code grant'),
      Fails.other(400, 'invalid_dpop_proof', 'a DPoP proof that fails a check of RFC 9449 §4.3 or was used before, or whose key is not dpop_jkt'),
      Fails.other(400, 'use_dpop_nonce', 'the DPoP proof lacks the current server nonce: retry with the one in the DPoP-Nonce response header'),
      Fails.clientAuth,
      Fails.tooLarge,
      Fails.throttled,
      Fails.unavailable,
    ],
  })
  async push(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<z.output<typeof PushedRequestResponse>> {
    const form = formOf(body);
    const client = await this.clientAuth.authenticate({ authorization: request.headers.authorization, form, ip: request.ip });
    const params = this.validated(form, client);
    // After client authentication and the checks, so that no refused request writes a proof's jti.
    const proof = await this.dpop.atParEndpoint({ method: request.method, rawHeaders: request.raw.rawHeaders });
    const pushed = await this.pushedRequests.push(client, this.boundTo(params, proof));
    // RFC 9449 §8.2: the nonce to use next, at the token endpoint too.
    if (proof) reply.headers(this.dpop.nonceHeader());
    return { request_uri: pushed.requestUri, expires_in: pushed.expiresIn };
  }

  /**
   * RFC 9449 §10.1: a proof at PAR binds the code to its key as dpop_jkt would; both
   * together must name the same key, else the request is refused.
   */
  private boundTo(params: Parameters, proof: VerifiedProof | undefined): Parameters {
    if (proof === undefined) return params;
    const jkt = params.get('dpop_jkt');
    if (jkt === undefined) return new Map([...params, ['dpop_jkt', proof.jkt]]);
    if (jkt !== proof.jkt) throw this.dpop.proofError('invalid_dpop_proof', 'dpop_jkt is not the thumbprint of the DPoP proof key');
    return params;
  }

  private validated(form: FormParams, client: Client): Parameters {
    try {
      return this.pipeline.validatePushed(authorizationParameters(form), client);
    } catch (error) {
      // RFC 9126 §2.3: the token endpoint's error format, never a redirect.
      if (error instanceof AuthorizationError) throw new OAuthError(PUSH_ERRORS[error.code] ?? 'invalid_request', error.description, {}, 400);
      throw error;
    }
  }
}
