import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { HOSTED_PAGE_CONFIG } from '../http/error-pages.js';

const HTML = { 'text/html': { schema: { type: 'string' as const } } };
const JSON_OPTIONS = { 'application/json': { schema: { type: 'object' as const, description: 'WebAuthn options (§5.4, §5.5) as JSON, for navigator.credentials' } } };

/**
 * The script of a hosted page asks for WebAuthn options: a JSON answer with a new
 * challenge; its errors are pages like the form's (the script only reads "not ok").
 */
export function PasskeyOptionsOperation(summary: string): MethodDecorator {
  return applyDecorators(
    RouteConfig(HOSTED_PAGE_CONFIG),
    ApiOperation({ summary, description: 'Posted by the page\'s script with the form\'s csrf_token (form-encoded); each answer holds a new single-use challenge.' }),
    ApiProduces('application/json', 'text/html'),
    ApiResponse({ status: 200, description: 'the options', content: JSON_OPTIONS }),
    ApiResponse({ status: 403, description: 'an error page: not posted from Tessera\'s page, or a missing or wrong CSRF token', content: HTML }),
  );
}

export function sendOptions(reply: FastifyReply, options: object): void {
  void reply.status(200).headers({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' }).send(JSON.stringify(options));
}
