import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between Tessera and its database that a test can cut and restore: while
 * cut, every open connection is reset and new ones are refused, which is what the
 * application sees when the database stops. It works for real Postgres and for the
 * embedded PGlite socket alike, and never touches the database server itself.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy!.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0, target);
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's. */
  static through(url: string, proxy: TcpProxy): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    return proxied.toString();
  }

  /** The database "stops": open connections are reset, new ones refused. */
  cutOff(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /**
   * From now on connections go to `target` (another server: a standby, a promoted
   * replica); open ones are reset, as a failover's DNS or VIP switch would leave them.
   */
  moveTo(target: { host: string; port: number }): void {
    this.target = target;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** The database is back. */
  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.cutOff();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  }
}
