import { parseInput } from '../http/schema-input.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { pushEndpointProblem, StatusChange, StreamChange, StreamCreate, VerificationRequest } from './ssf.schemas.js';

const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).status).toBe(400);
    return (error as OAuthError).description;
  }
  throw new Error('accepted');
}

describe('SSF stream management bodies', () => {
  it('takes a create request with or without delivery, and with event types it does not know', () => {
    expect(parseInput(StreamCreate, {}, 'body')).toEqual({});
    const push = { delivery: { method: PUSH, endpoint_url: 'https://rs.example/events', authorization_header: 'Bearer x' }, events_requested: ['urn:unknown'] };
    expect(parseInput(StreamCreate, push, 'body')).toEqual(push);
  });

  it('refuses a malformed delivery with a reason that names it', () => {
    expect(refusal(() => parseInput(StreamCreate, { delivery: { method: PUSH } }, 'body'))).toBe(
      'invalid body: delivery: endpoint_url is required for push delivery',
    );
    expect(refusal(() => parseInput(StreamCreate, { delivery: { method: POLL, authorization_header: 'Bearer x' } }, 'body'))).toBe(
      'invalid body: delivery: authorization_header is for push delivery only',
    );
    expect(refusal(() => parseInput(StreamCreate, { delivery: { method: 'urn:smoke-signals' } }, 'body'))).toBe(
      `invalid body: delivery: must be one of ${PUSH}, ${POLL}`,
    );
    expect(refusal(() => parseInput(StreamCreate, { delivery: 'push' }, 'body'))).toBe('invalid body: delivery: must be an object with method (and endpoint_url for push)');
  });

  it('refuses oversize and unknown members', () => {
    expect(refusal(() => parseInput(StreamCreate, { description: 'x'.repeat(257) }, 'body'))).toBe('invalid body: description: must be 0 to 256 characters');
    expect(refusal(() => parseInput(StreamCreate, { events_requested: Array.from({ length: 51 }, () => 'e') }, 'body'))).toBe(
      'invalid body: events_requested: must be an array of at most 50 strings',
    );
    expect(refusal(() => parseInput(StreamCreate, { stream_id: 'mine' }, 'body'))).toBe('invalid body: stream_id: unknown field');
  });

  it('needs the stream id to change a stream, its status or to verify it', () => {
    expect(refusal(() => parseInput(StreamChange, { description: 'x' }, 'body'))).toBe('invalid body: stream_id: required');
    expect(parseInput(StreamChange, { stream_id: 's1', iss: 'https://auth.example', aud: ['a', 'b'] }, 'body')).toMatchObject({ aud: ['a', 'b'] });
    expect(refusal(() => parseInput(StatusChange, { stream_id: 's1', status: 'stopped' }, 'body'))).toBe(
      'invalid body: status: must be one of enabled, paused, disabled',
    );
    expect(parseInput(VerificationRequest, { stream_id: 's1', state: 'abc' }, 'body')).toEqual({ stream_id: 's1', state: 'abc' });
  });
});

describe('push endpoints (RFC 8935 §2)', () => {
  it('takes https anywhere, and http to loopback outside production only', () => {
    expect(pushEndpointProblem('https://rs.example/events', true)).toBeUndefined();
    expect(pushEndpointProblem('http://127.0.0.1:4000/events', false)).toBeUndefined();
    expect(pushEndpointProblem('http://localhost/events', false)).toBeUndefined();
    expect(pushEndpointProblem('http://127.0.0.1:4000/events', true)).toBe('delivery: endpoint_url must use https');
    expect(pushEndpointProblem('http://rs.example/events', false)).toMatch(/must use https/);
  });

  it('refuses what is not an absolute URL, credentials and fragments', () => {
    expect(pushEndpointProblem('/events', false)).toBe('delivery: endpoint_url must be an absolute URL');
    expect(pushEndpointProblem('https://user:pw@rs.example/events', false)).toBe('delivery: endpoint_url must not carry credentials');
    expect(pushEndpointProblem('https://rs.example/events#x', false)).toBe('delivery: endpoint_url must not have a fragment');
    expect(pushEndpointProblem('ftp://rs.example/events', false)).toMatch(/must use https/);
  });
});
