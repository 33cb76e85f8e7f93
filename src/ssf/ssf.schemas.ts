import { z } from 'zod';
import { flag, integer, oneOf, stringList, text } from '../http/schema-rules.js';
import { DELIVERY_METHODS } from './ssf-configuration.js';

/*
 * The request bodies of SSF 1.0 §8.1 stream management. Receiver-supplied members are
 * validated here; transmitter-supplied ones a receiver may echo on PATCH and PUT
 * (§8.1.1.3-4: "MUST match the expected value") are typed here and compared by the service.
 */

const METHODS = [DELIVERY_METHODS.push, DELIVERY_METHODS.poll] as const;

/** §6.1: push names the receiver's endpoint; poll's endpoint is the transmitter's to give. */
export const Delivery = z
  .strictObject(
    {
      method: oneOf(METHODS),
      endpoint_url: text(1, 2048).optional(),
      authorization_header: text(1, 4096).optional(),
    },
    { error: 'must be an object with method (and endpoint_url for push)' },
  )
  .superRefine((delivery, context) => {
    if (delivery.method === DELIVERY_METHODS.push && delivery.endpoint_url === undefined) {
      context.addIssue({ code: 'custom', message: 'endpoint_url is required for push delivery', input: delivery });
    }
    if (delivery.method === DELIVERY_METHODS.poll && delivery.authorization_header !== undefined) {
      context.addIssue({ code: 'custom', message: 'authorization_header is for push delivery only', input: delivery });
    }
  })
  .meta({ id: 'SsfDelivery' });
export type Delivery = z.output<typeof Delivery>;

const receiverSupplied = {
  delivery: Delivery.optional(),
  /** §8.1.1: values the transmitter does not understand are ignored, not refused */
  events_requested: stringList(50).optional(),
  description: text(0, 256).optional(),
};

const transmitterSupplied = {
  iss: text(1, 2048).optional(),
  aud: z.union([text(1, 2048), stringList(10)], { error: 'must be a string or an array of strings' }).optional(),
  events_supported: stringList(50).optional(),
  events_delivered: stringList(50).optional(),
  min_verification_interval: integer(0, 86_400).optional(),
  inactivity_timeout: integer(0, 2_147_483_647).optional(),
};

const streamId = text(1, 64);

/** §8.1.1.1 POST: without delivery, poll is assumed. */
export const StreamCreate = z.strictObject(receiverSupplied).meta({ id: 'SsfStreamCreate' });
export type StreamCreate = z.output<typeof StreamCreate>;

/** §8.1.1.3 PATCH (what is missing stays) and §8.1.1.4 PUT (what is missing is removed). */
export const StreamChange = z.strictObject({ stream_id: streamId, ...receiverSupplied, ...transmitterSupplied }).meta({ id: 'SsfStreamChange' });
export type StreamChange = z.output<typeof StreamChange>;

/** §8.1.2.2 */
export const StatusChange = z
  .strictObject({ stream_id: streamId, status: oneOf(['enabled', 'paused', 'disabled'] as const), reason: text(0, 256).optional() })
  .meta({ id: 'SsfStatusChange' });
export type StatusChange = z.output<typeof StatusChange>;

/** §8.1.4.2: state is echoed in the verification event. */
export const VerificationRequest = z.strictObject({ stream_id: streamId, state: text(0, 256).optional() }).meta({ id: 'SsfVerificationRequest' });
export type VerificationRequest = z.output<typeof VerificationRequest>;

/** RFC 8936 §2.1: how many SETs to return, whether to wait for some, and the answers to earlier ones. */
export const PollRequest = z
  .strictObject({
    maxEvents: integer(0, 1000).optional(),
    returnImmediately: flag.optional(),
    ack: stringList(1000).optional(),
    setErrs: z
      .record(
        z.string().max(256),
        z.strictObject({ err: text(1, 64), description: text(0, 1024).optional() }, { error: 'must be an object with err and description' }),
        { error: 'must map jti to { err, description }' },
      )
      .refine((errors) => Object.keys(errors).length <= 1000, 'must name at most 1000 SETs')
      .optional(),
  })
  .meta({ id: 'SsfPollRequest' });
export type PollRequest = z.output<typeof PollRequest>;

/**
 * Where SETs may be pushed (RFC 8935 §2: over TLS): https, and in development also http to
 * a loopback address. Never a URL with credentials or a fragment. Undefined: acceptable.
 */
export function pushEndpointProblem(endpoint: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'delivery: endpoint_url must be an absolute URL';
  }
  if (url.username || url.password) return 'delivery: endpoint_url must not carry credentials';
  if (url.hash) return 'delivery: endpoint_url must not have a fragment';
  if (url.protocol === 'https:') return undefined;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'http:' && loopback && !production) return undefined;
  return production ? 'delivery: endpoint_url must use https' : 'delivery: endpoint_url must use https (or http to a loopback address)';
}
