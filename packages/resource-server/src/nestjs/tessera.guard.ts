import { type CanActivate, type ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { BearerError } from '../errors.js';
import type { Principal } from '../principal.js';
import { publicRequestUrl, type UrlSource } from '../request-url.js';
import { ResourceServer } from '../resource-server.js';
import { PUBLIC_KEY, SCOPES_KEY } from './decorators.js';

/** Express's request is a Node request; Fastify's wraps one in `raw`. */
interface HttpRequest extends UrlSource {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  raw?: UrlSource;
}

/** Fastify's reply and Express's response both have header(); plain Node has setHeader(). */
interface HttpResponse {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * Lets a request through with a valid token holding the route's @Scopes, or a @Public
 * route; otherwise answers the RFC 6750 error with its WWW-Authenticate header.
 */
@Injectable()
export class TesseraGuard implements CanActivate {
  constructor(
    @Inject(ResourceServer) private readonly server: ResourceServer,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Fail closed: this guard knows only HTTP requests.
    if (context.getType() !== 'http') return false;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const scopes = this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) ?? [];
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    try {
      const { authorization, dpop } = request.headers;
      const url = publicRequestUrl(request.raw ?? request, this.server.options);
      request.principal = await this.server.authenticateRequest({ method: request.method, url, authorization, dpop }, scopes);
      return true;
    } catch (error) {
      if (!(error instanceof BearerError)) throw error;
      const answer = this.server.response(error);
      const response = http.getResponse<HttpResponse>();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (name === 'content-type') continue;
        if (response.header) response.header(name, value);
        else response.setHeader?.(name, value);
      }
      throw new HttpException(answer.body, answer.status);
    }
  }
}
