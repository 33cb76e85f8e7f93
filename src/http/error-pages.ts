import type { FastifyReply, FastifyRequest } from 'fastify';

/** Fastify route config of a hosted page's route (set by PageOperation). */
export const HOSTED_PAGE_CONFIG = { tesseraHostedPage: true } as const;

/**
 * Whether the request is for one of Tessera's hosted pages: read from the route Fastify
 * matched, which is known before the body is parsed, so an error in parsing the body of
 * a page's form post is recognised too.
 */
export function isHostedPage(request: FastifyRequest | undefined): boolean {
  const config = request?.routeOptions?.config as Partial<typeof HOSTED_PAGE_CONFIG> | undefined;
  return config?.tesseraHostedPage === true;
}

/**
 * Tessera's HTML error page, for people in a browser. Owned here so that the JSON
 * renderer can hand a hosted page's errors to it; the interaction module provides it.
 */
export abstract class ErrorPages {
  abstract error(reply: FastifyReply, status: number, code: string, description: string): void;
}
