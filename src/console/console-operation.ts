import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { HOSTED_PAGE_CONFIG } from '../http/error-pages.js';

const HTML = { 'text/html': { schema: { type: 'string' as const } } };

/** A route of the admin console: an HTML page or a redirect; its errors are pages too. */
export function ConsoleOperation(doc: { summary: string; page: string; redirect: string }): MethodDecorator {
  return applyDecorators(
    RouteConfig(HOSTED_PAGE_CONFIG),
    ApiOperation({ summary: doc.summary }),
    ApiProduces('text/html'),
    ApiResponse({ status: 200, description: doc.page, content: HTML }),
    ApiResponse({ status: 302, description: doc.redirect }),
    ApiResponse({ status: 303, description: doc.redirect }),
    ApiResponse({ status: 403, description: 'an error page: not an admin, not posted from the console, or a missing or wrong CSRF token; nothing changed', content: HTML }),
  );
}
