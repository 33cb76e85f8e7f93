import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { HOSTED_PAGE_CONFIG } from '../http/error-pages.js';

const HTML = { 'text/html': { schema: { type: 'string' as const } } };
const LOCATION = { Location: { description: 'the account page, or the login page that comes back to it', schema: { type: 'string' as const } } };

/** A route of the account pages: an HTML page, or a 303 (post/redirect/get); its errors are pages too. */
export function AccountOperation(doc: { summary: string; description?: string; page: string }): MethodDecorator {
  return applyDecorators(
    RouteConfig(HOSTED_PAGE_CONFIG),
    ApiOperation({ summary: doc.summary, description: doc.description }),
    ApiProduces('text/html'),
    ApiResponse({ status: 200, description: doc.page, content: HTML }),
    ApiResponse({ status: 303, description: 'to the account page with a one-time message, or to the login page without a login session', headers: LOCATION }),
    ApiResponse({ status: 403, description: 'an error page: not posted from Tessera\'s page, or a missing or wrong CSRF token; nothing changed', content: HTML }),
  );
}
