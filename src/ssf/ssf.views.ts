import { z } from 'zod';

/* The answers of the SSF endpoints, for the OpenAPI document (SSF 1.0 §7.1, §8.1; RFC 8936 §2). */

export const SsfConfigurationView = z
  .object({
    spec_version: z.string(),
    issuer: z.string(),
    jwks_uri: z.string(),
    delivery_methods_supported: z.array(z.string()),
    configuration_endpoint: z.string(),
    status_endpoint: z.string(),
    verification_endpoint: z.string(),
    authorization_schemes: z.array(z.object({ spec_urn: z.string() })),
    default_subjects: z.enum(['ALL', 'NONE']),
  })
  .meta({ id: 'SsfConfiguration' });

export const StreamView = z
  .object({
    stream_id: z.string(),
    iss: z.string(),
    aud: z.string(),
    delivery: z.object({ method: z.string(), endpoint_url: z.string() }),
    events_supported: z.array(z.string()),
    events_requested: z.array(z.string()).optional(),
    events_delivered: z.array(z.string()),
    description: z.string().optional(),
  })
  .meta({ id: 'SsfStream' });

export const StreamViews = z.union([StreamView, z.array(StreamView)]).meta({ id: 'SsfStreams', description: 'one stream when stream_id is given, else every stream of the caller' });

export const StreamStatusView = z
  .object({ stream_id: z.string(), status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().optional() })
  .meta({ id: 'SsfStreamStatus' });

export const PollView = z
  .object({
    sets: z.record(z.string(), z.string()).meta({ description: 'jti → SET (typ secevent+jwt), oldest first' }),
    moreAvailable: z.boolean().optional(),
  })
  .meta({ id: 'SsfPollResponse' });
