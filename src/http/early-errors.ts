import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { SecurityHeadersOptions } from '@nestjs/common';
import { resolveSecurityHeaders } from '@nestjs/core/security/security-headers.js';
import type { FastifyError, FastifyReply, FastifyServerOptions } from 'fastify';

const JSON_TYPE = 'application/json; charset=utf-8';

type Refusal = readonly [status: number, code: 'invalid_request' | 'server_error', description: string];

/**
 * What the router refuses before any hook runs: no Nest filter sees these, and the
 * framework's own answers quote the path and name the framework (FST_ERR_BAD_URL).
 */
function routerRefusal(error: FastifyError): Refusal {
  if (error.code === 'FST_ERR_BAD_URL') return [400, 'invalid_request', 'the request path is not valid percent-encoded UTF-8'];
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return [414, 'invalid_request', 'a segment of the request path is too long'];
  return [500, 'server_error', 'an unexpected error occurred'];
}

/** What Node's HTTP parser refuses, before Fastify has a request (Node's "clientError"). */
function parserRefusal(error: NodeJS.ErrnoException): Refusal {
  if (error.code === 'HPE_HEADER_OVERFLOW') return [431, 'invalid_request', 'the request headers are too large'];
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'invalid_request', 'the request did not arrive in time'];
  return [400, 'invalid_request', 'the request is not valid HTTP'];
}

function payload([, code, description]: Refusal): string {
  return JSON.stringify({ error: code, error_description: description });
}

function rawAnswer(refusal: Refusal, headers: Readonly<Record<string, string>>): string {
  const body = payload(refusal);
  const head = [
    `HTTP/1.1 ${refusal[0]} ${STATUS_CODES[refusal[0]]}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Type: ${JSON_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    // The parser cannot go on after a bad request: the connection ends with the answer.
    'Connection: close',
  ];
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Answers, in RFC 6749 §5.2 shape and with the headers of every other answer
 * (no-store, the security headers), the requests that fail before a route runs. Neither
 * answer quotes anything the client sent.
 */
export function earlyErrorHandlers(security: SecurityHeadersOptions): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  // Resolved exactly as app.useSecurityHeaders() resolves them for routed answers.
  const headers: Record<string, string> = {
    ...Object.fromEntries(resolveSecurityHeaders(security).headers),
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
  return {
    frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply) {
      const refusal = routerRefusal(error);
      void reply.code(refusal[0]).headers(headers).type(JSON_TYPE).send(payload(refusal));
    },
    clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
      // A reset connection has no one to answer (Node's documented clientError pattern).
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const answer = rawAnswer(parserRefusal(error), headers);
      const refuse = () => {
        if (socket.writable) socket.write(answer);
        socket.destroy();
      };
      // The response in progress on the socket, which Node's own default handler consults.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (inFlight && !inFlight.writableFinished) {
        // RFC 9112 §9.3.2: a request pipelined before the bad one is answered first, in order.
        if (inFlight.req.complete) {
          inFlight.once('close', refuse);
          return;
        }
        // The bad bytes are this request's own body: answered at once, unless its answer has begun.
        if (inFlight.headersSent) {
          socket.destroy();
          return;
        }
      }
      refuse();
    },
  };
}
