import type { SecurityHeadersOptions } from '@nestjs/common';
import type { AppConfig } from '../config/config.js';

/**
 * The headers of every response (routes, errors and 404s alike), through Nest's
 * built-in hook. Tessera answers JSON, never a document: the CSP allows nothing and
 * no framing. HSTS only when the issuer is https: behind a proxy the request's own
 * scheme is unknown, and the issuer is the URL browsers use.
 */
export function securityHeaders(config: Pick<AppConfig, 'issuer'>): SecurityHeadersOptions {
  const https = new URL(config.issuer).protocol === 'https:';
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"], frameAncestors: ["'none'"] },
    },
    referrerPolicy: { policy: 'no-referrer' },
    xContentTypeOptions: true,
    xFrameOptions: { action: 'deny' },
    // includeSubDomains would bind hosts Tessera does not own: the operator's call.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  };
}
