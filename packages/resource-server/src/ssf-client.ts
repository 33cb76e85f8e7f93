/** The HTTP side of an SSF 1.0 receiver: metadata, a client_credentials token, its stream, polls. */

export interface SsfClientOptions {
  /** Tessera's ISSUER, exactly */
  readonly issuer: string;
  /** this API's own client at Tessera: introspect permission and scope ssf */
  readonly clientId: string;
  readonly clientSecret: string;
  /** default: `${issuer}/oauth/token` */
  readonly tokenEndpoint?: string;
  /** how the stream is recognised, to be reused after a restart (default '@tessera/resource-server') */
  readonly streamDescription?: string;
  readonly fetch?: typeof fetch;
}

export interface TransmitterMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly configuration_endpoint: string;
}

export interface PollAnswer {
  readonly sets: Record<string, string>;
  readonly moreAvailable?: boolean;
}

/** An HTTP answer other than the one expected; `status` 0 when nothing answered. */
export class SsfHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SsfHttpError';
  }
}

const POLL = 'urn:ietf:rfc:8936';

interface StreamConfiguration {
  stream_id?: string;
  description?: string;
  delivery?: { method?: string; endpoint_url?: string };
}

export class SsfClient {
  private readonly fetch: typeof fetch;
  private token: { value: string; until: number } | undefined;

  constructor(private readonly options: SsfClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** SSF 1.0 §7.2: the metadata, whose issuer must be the one configured (§7.2.3). */
  async metadata(): Promise<TransmitterMetadata> {
    const metadata = (await this.json('GET', `${this.options.issuer}/.well-known/ssf-configuration`)) as Partial<TransmitterMetadata>;
    if (metadata.issuer !== this.options.issuer) throw new SsfHttpError(0, 'the SSF metadata names another issuer');
    if (typeof metadata.jwks_uri !== 'string' || typeof metadata.configuration_endpoint !== 'string') {
      throw new SsfHttpError(0, 'the SSF metadata lacks jwks_uri or configuration_endpoint');
    }
    return metadata as TransmitterMetadata;
  }

  /** This receiver's stream (id and poll endpoint): the one it made earlier, or a new one. */
  async stream(configurationEndpoint: string): Promise<{ id: string; endpoint: string }> {
    const description = this.options.streamDescription ?? '@tessera/resource-server';
    const listed = await this.json('GET', configurationEndpoint, undefined, true);
    const streams = (Array.isArray(listed) ? listed : [listed]) as StreamConfiguration[];
    const mine = streams.find((stream) => stream.description === description && stream.delivery?.method === POLL);
    const stream = (mine ?? (await this.json('POST', configurationEndpoint, { description }, true))) as StreamConfiguration;
    if (typeof stream.delivery?.endpoint_url !== 'string' || typeof stream.stream_id !== 'string') throw new SsfHttpError(0, 'the stream has no poll endpoint');
    return { id: stream.stream_id, endpoint: stream.delivery.endpoint_url };
  }

  /** SSF 1.0 §8.1.1.5; a stream already gone is as good as deleted. */
  async deleteStream(configurationEndpoint: string, id: string): Promise<void> {
    const url = new URL(configurationEndpoint);
    url.searchParams.set('stream_id', id);
    await this.json('DELETE', url.href, undefined, true).catch((error: unknown) => {
      if (!(error instanceof SsfHttpError && error.status === 404)) throw error;
    });
  }

  /** RFC 8936 §2: one poll, carrying the acknowledgements and errors of the previous one. */
  async poll(
    endpoint: string,
    request: { ack: string[]; setErrs: Record<string, { err: string; description: string }>; returnImmediately: boolean },
    signal?: AbortSignal,
  ) {
    const answer = (await this.json('POST', endpoint, { maxEvents: 100, ...request }, true, signal)) as Partial<PollAnswer>;
    if (typeof answer.sets !== 'object' || answer.sets === null) throw new SsfHttpError(0, 'the poll answer has no sets');
    return answer as PollAnswer;
  }

  /** Forget the token, e.g. after a 401. */
  dropToken(): void {
    this.token = undefined;
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    const response = await this.send(this.options.tokenEndpoint ?? `${this.options.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encode(this.options.clientId)}:${encode(this.options.clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'ssf' }),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    if (!response.ok || typeof body.access_token !== 'string') throw new SsfHttpError(response.status, `no ssf token: ${response.status}`);
    // Renewed a little before it expires, so a long poll never carries an expired token.
    this.token = { value: body.access_token, until: Date.now() + Math.max((body.expires_in ?? 60) - 30, 5) * 1000 };
    return body.access_token;
  }

  private async json(method: string, url: string, body?: unknown, authorized = false, signal?: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authorized) headers.authorization = `Bearer ${await this.accessToken()}`;
    const response = await this.send(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    if (!response.ok) throw new SsfHttpError(response.status, `${method} ${url} answered ${response.status}`);
    return response.status === 204 ? undefined : response.json();
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      // Longer than the transmitter holds a long poll (10 s at Tessera).
      const timeout = AbortSignal.timeout(30_000);
      return await this.fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    } catch (error) {
      throw new SsfHttpError(0, `${url} cannot be reached: ${(error as Error).message}`);
    }
  }
}
