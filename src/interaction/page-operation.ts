import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiOperation, ApiProduces, ApiResponse } from '@nestjs/swagger';
import { HOSTED_PAGE_CONFIG } from '../http/error-pages.js';

const HTML = { 'text/html': { schema: { type: 'string' as const } } };
const LOCATION = { Location: { description: 'the client\'s redirect URI with code or error, state and iss', schema: { type: 'string' as const } } };

/**
 * A hosted page's route: an HTML page for a person, or a redirect to the client. Its
 * errors are pages too (or redirects, once the redirect URI is proven), not JSON.
 */
export function PageOperation(doc: PageDoc): MethodDecorator {
  const location = doc.location ?? 'back to the client: code and state, or error, error_description and state; always iss (RFC 9207)';
  return applyDecorators(
    RouteConfig(HOSTED_PAGE_CONFIG),
    ApiOperation({ summary: doc.summary, description: doc.description }),
    ApiProduces('text/html'),
    ApiResponse({ status: 200, description: doc.page ?? 'the login or consent page', content: HTML }),
    ApiResponse({ status: doc.redirect, description: location, headers: { Location: { ...LOCATION.Location, description: location } } }),
    ApiResponse({ status: 400, description: 'an error page: the client or redirect URI is unknown, or a parameter is repeated; never a redirect', content: HTML }),
    ApiResponse({ status: 500, description: 'an error page, without detail', content: HTML }),
  );
}

export interface PageDoc {
  readonly summary: string;
  readonly description?: string;
  readonly redirect: 302 | 303;
  /** what the 200 page is, when not the login or consent page */
  readonly page?: string;
  /** where the redirect goes, when not to the client's redirect URI */
  readonly location?: string;
}
