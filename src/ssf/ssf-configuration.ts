/** RFC 8935 push and RFC 8936 poll, as SSF 1.0 §6.1 names them. */
export const DELIVERY_METHODS = { push: 'urn:ietf:rfc:8935', poll: 'urn:ietf:rfc:8936' } as const;

/** Where the stream management API lives (CONTRACT "Revocation signals for resource servers"). */
export const SSF_PATHS = { stream: '/ssf/stream', status: '/ssf/status', verify: '/ssf/verify' } as const;

/**
 * SSF 1.0 §7.1 Transmitter Configuration Metadata, served at /.well-known/ssf-configuration.
 * Streams carry every subject (default_subjects ALL): a resource server must hear of every
 * revoked session, not only of the users it thought to name. Management is authorized with
 * an OAuth access token (spec_urn RFC 6749) carrying scope `ssf`.
 */
export function ssfConfiguration(issuer: string): Record<string, unknown> {
  return {
    spec_version: '1_0',
    issuer,
    jwks_uri: `${issuer}/oauth/jwks`,
    delivery_methods_supported: [DELIVERY_METHODS.push, DELIVERY_METHODS.poll],
    configuration_endpoint: `${issuer}${SSF_PATHS.stream}`,
    status_endpoint: `${issuer}${SSF_PATHS.status}`,
    verification_endpoint: `${issuer}${SSF_PATHS.verify}`,
    authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
    default_subjects: 'ALL',
  };
}
