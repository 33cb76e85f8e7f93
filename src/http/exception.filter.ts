import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DuplicateError, InvalidInputError, StorageUnavailableError, UnknownClientError } from '../common/errors.js';
import { OAuthError, type OAuthErrorCode } from '../oauth/errors/oauth-error.js';
import { maskSecrets, stackFrames } from '../logging/redaction.js';
import { inRequest } from '../logging/request-context.js';
import { isDatabaseReadOnly, isDatabaseUnavailable } from '../persistence/availability.js';
import { ErrorPages, isHostedPage } from './error-pages.js';
import { OutageLog } from './outage-log.js';

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * Renders every failure as RFC 6749 §5.2 JSON in this one place, except on a hosted
 * page's route, where a person gets the HTML error page with the same status and words
 * (an error in parsing the page's form body never reaches the page's own filter).
 * Details of anything that is not a known client error stay in the log; the caller sees
 * server_error.
 */
@Catch()
export class ExceptionRenderer implements ExceptionFilter {
  private readonly logger = new Logger('http');
  private readonly outages = new OutageLog(new Logger('database'));

  constructor(@Optional() private readonly errorPages?: ErrorPages) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = this.settle(exception, host);
    if (this.errorPages && isHostedPage(host.switchToHttp().getRequest<FastifyRequest | undefined>())) {
      void reply.headers(error.headers);
      return this.errorPages.error(reply, error.status, error.code, error.description);
    }
    void reply
      .status(error.status)
      .headers({ ...NO_STORE, ...error.headers })
      .type('application/json; charset=utf-8')
      .send({ error: error.code, error_description: error.description });
  }

  /**
   * The OAuth error a failure is answered with; a server error is logged (its detail
   * stays in the log), an unreachable database noted.
   */
  protected settle(exception: unknown, host: ArgumentsHost): OAuthError {
    const error = this.toOAuthError(exception);
    if (databaseAway(exception)) this.outages.unavailable(exception);
    if (error.status >= 500 && error.code === 'server_error') {
      // The message may quote input (a parser, a driver): long runs are masked, and the
      // stack goes without its message line. Never the request or its body.
      const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
      this.logger.error(maskSecrets(describe(exception)), exception instanceof Error ? stackFrames(exception) : undefined, inRequest(request?.id));
    }
    return error;
  }

  private toOAuthError(exception: unknown): OAuthError {
    if (exception instanceof OAuthError) return exception;
    // Domain rules broken by an admin's input: the message names the field and is safe to show.
    if (exception instanceof InvalidInputError) return OAuthError.invalidRequest(exception.message);
    if (exception instanceof UnknownClientError) return OAuthError.invalidClient(false);
    if (exception instanceof DuplicateError) return new OAuthError('invalid_request', exception.message, {}, 409);
    if (isDatabaseReadOnly(exception)) return OAuthError.readOnly();
    if (databaseAway(exception)) return OAuthError.unavailable();
    const status = statusOf(exception);
    if (status !== undefined && status >= 400 && status < 500) {
      return new OAuthError(codeFor(status), clientMessage(exception, status), {}, status);
    }
    return new OAuthError('server_error', 'an unexpected error occurred');
  }
}

function databaseAway(exception: unknown): boolean {
  return exception instanceof StorageUnavailableError || isDatabaseUnavailable(exception);
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function codeFor(status: number): OAuthErrorCode {
  if (status === 401) return 'invalid_token';
  if (status === 403) return 'access_denied';
  if (status === 404) return 'not_found';
  return 'invalid_request';
}

// Fastify's body parsing errors, which Nest hands over as HttpExceptions: Tessera's
// words, so that no answer names the framework or could quote the request.
const FRAMEWORK_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the body does not match its Content-Length',
};

function frameworkCode(exception: unknown): string | undefined {
  const cause = exception instanceof HttpException ? exception.cause : exception;
  if (!(cause instanceof Error) || cause.name !== 'FastifyError') return undefined;
  return String((cause as { code?: unknown }).code);
}

function clientMessage(exception: unknown, status: number): string {
  if (status === 413) return 'the request body is too large';
  if (status === 415) return 'unsupported content type';
  if (status === 404) return 'no such resource';
  const framework = frameworkCode(exception);
  if (framework !== undefined) return FRAMEWORK_MESSAGES[framework] ?? 'the request is malformed';
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    const message = typeof response === 'object' && response !== null ? (response as { message?: unknown }).message : response;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string') return message;
  }
  return 'the request is malformed';
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
