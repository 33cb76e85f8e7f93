import { Controller, Delete, Get, Header, HttpCode, Inject, Param, Patch, Post, Put, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { NoStoreInterceptor } from '../admin/no-store.interceptor.js';
import { CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { BEARER_FAILURES, type Failure, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { JsonBody, JsonQuery } from '../http/schema-input.js';
import { text } from '../http/schema-rules.js';
import { ssfConfiguration } from './ssf-configuration.js';
import { SsfPollService } from './ssf-poll.service.js';
import { SsfReceiverGuard } from './ssf-receiver.guard.js';
import { SsfStreamsService } from './ssf-streams.service.js';
import { PollRequest, StatusChange, StreamChange, StreamCreate, VerificationRequest } from './ssf.schemas.js';
import { PollView, SsfConfigurationView, StreamStatusView, StreamView, StreamViews } from './ssf.views.js';

const StreamQuery = z.strictObject({ stream_id: text(1, 64).optional() });
const StreamIdQuery = z.strictObject({ stream_id: text(1, 64) });

const RECEIVER_FAILURES: readonly Failure[] = [
  ...BEARER_FAILURES,
  Fails.other(403, 'insufficient_scope', 'the token is not a client token with scope ssf, or its client lacks the introspect permission'),
];
const STREAM = Fails.notFound('stream (or not one of the caller)');

/** SSF 1.0 §7: where a receiver learns how to talk to this transmitter. */
@ApiTags('shared signals')
@Controller('.well-known')
export class SsfConfigurationController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(CONFIG) config: ResolvedConfig) {
    this.metadata = ssfConfiguration(config.issuer);
  }

  @Get('ssf-configuration')
  @Header('Cache-Control', 'public, max-age=300')
  @Operation({ summary: 'Shared Signals transmitter metadata (SSF 1.0 §7.1)', returns: SsfConfigurationView, fails: [] })
  configuration(): Record<string, unknown> {
    return this.metadata;
  }
}

/** SSF 1.0 §8.1 stream management and RFC 8936 poll delivery, for resource servers. */
@ApiTags('shared signals')
@ApiBearerAuth('bearer')
@Controller('ssf')
@UseGuards(SsfReceiverGuard)
@UseInterceptors(NoStoreInterceptor)
export class SsfController {
  constructor(
    private readonly streams: SsfStreamsService,
    private readonly polls: SsfPollService,
  ) {}

  @Post('stream')
  @Operation({
    summary: 'Create a stream (SSF 1.0 §8.1.1.1)',
    description: 'Poll delivery; the stream starts with every revocation whose tokens may still be alive.',
    status: 201,
    returns: StreamView,
    fails: [...RECEIVER_FAILURES, Fails.body, Fails.rule, Fails.tooLarge],
  })
  create(@CurrentPrincipal() receiver: Principal, @JsonBody(StreamCreate, { optional: true }) input: StreamCreate) {
    return this.streams.create(receiver.clientId, input);
  }

  @Get('stream')
  @Operation({ summary: 'Read a stream, or all of the caller (SSF 1.0 §8.1.1.2)', returns: StreamViews, fails: [...RECEIVER_FAILURES, Fails.query, STREAM] })
  read(@CurrentPrincipal() receiver: Principal, @JsonQuery(StreamQuery) query: z.output<typeof StreamQuery>) {
    return this.streams.read(receiver.clientId, query.stream_id);
  }

  @Patch('stream')
  @Operation({ summary: 'Update a stream (SSF 1.0 §8.1.1.3)', returns: StreamView, fails: [...RECEIVER_FAILURES, Fails.body, Fails.rule, STREAM, Fails.tooLarge] })
  update(@CurrentPrincipal() receiver: Principal, @JsonBody(StreamChange) input: StreamChange) {
    return this.streams.change(receiver.clientId, input, false);
  }

  @Put('stream')
  @Operation({ summary: 'Replace a stream (SSF 1.0 §8.1.1.4)', returns: StreamView, fails: [...RECEIVER_FAILURES, Fails.body, Fails.rule, STREAM, Fails.tooLarge] })
  replace(@CurrentPrincipal() receiver: Principal, @JsonBody(StreamChange) input: StreamChange) {
    return this.streams.change(receiver.clientId, input, true);
  }

  @Delete('stream')
  @HttpCode(204)
  @Operation({ summary: 'Delete a stream (SSF 1.0 §8.1.1.5)', status: 204, fails: [...RECEIVER_FAILURES, Fails.query, STREAM] })
  async delete(@CurrentPrincipal() receiver: Principal, @JsonQuery(StreamIdQuery) query: z.output<typeof StreamIdQuery>): Promise<void> {
    await this.streams.delete(receiver.clientId, query.stream_id);
  }

  @Get('status')
  @Operation({ summary: "Read a stream's status (SSF 1.0 §8.1.2.1)", returns: StreamStatusView, fails: [...RECEIVER_FAILURES, Fails.query, STREAM] })
  status(@CurrentPrincipal() receiver: Principal, @JsonQuery(StreamIdQuery) query: z.output<typeof StreamIdQuery>) {
    return this.streams.status(receiver.clientId, query.stream_id);
  }

  @Post('status')
  @HttpCode(200)
  @Operation({
    summary: "Enable, pause or disable a stream (SSF 1.0 §8.1.2.2)",
    description: 'Paused: events are held. Disabled: nothing is held, and what was queued is dropped.',
    returns: StreamStatusView,
    fails: [...RECEIVER_FAILURES, Fails.body, STREAM, Fails.tooLarge],
  })
  setStatus(@CurrentPrincipal() receiver: Principal, @JsonBody(StatusChange) input: StatusChange) {
    return this.streams.setStatus(receiver.clientId, input);
  }

  @Post('verify')
  @HttpCode(204)
  @Operation({ summary: 'Request a verification event (SSF 1.0 §8.1.4.2)', status: 204, fails: [...RECEIVER_FAILURES, Fails.body, STREAM, Fails.tooLarge] })
  async verify(@CurrentPrincipal() receiver: Principal, @JsonBody(VerificationRequest) input: VerificationRequest): Promise<void> {
    await this.streams.requestVerification(receiver.clientId, input);
  }

  @Post('poll/:streamId')
  @HttpCode(200)
  @Operation({
    summary: 'Poll for SETs, acknowledging earlier ones (RFC 8936)',
    description: 'Without returnImmediately: true, the answer waits up to 10 s for an event.',
    returns: PollView,
    fails: [...RECEIVER_FAILURES, Fails.body, STREAM, Fails.tooLarge],
  })
  poll(@CurrentPrincipal() receiver: Principal, @Param('streamId') streamId: string, @JsonBody(PollRequest, { optional: true }) input: PollRequest) {
    return this.polls.poll(receiver.clientId, streamId, input);
  }
}
