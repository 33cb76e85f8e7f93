import { startTestApp, type TestApp } from './app.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { buildOnce, TesseraServer } from './tessera-server.js';

export const PAIR_ISSUER = 'http://tessera.test';

/**
 * Two real Tessera processes on one database, and an in-process app on the same database
 * that seeds it (clients, users, the signing key) and reads it back.
 */
export interface ServerPair {
  readonly db: TestDatabase;
  readonly setup: TestApp;
  readonly a: TesseraServer;
  readonly b: TesseraServer;
  /**
   * Sets the seeding app's clock to the real time, which the processes run on: what it
   * writes (codes, DPoP proofs and nonces, token lifetimes) agrees with their clocks.
   */
  syncClock(): void;
  close(): Promise<void>;
}

/** Builds dist/ if needed, then starts both processes with the test secrets and `settings`. */
export async function startServerPair(settings: Record<string, string> = {}): Promise<ServerPair> {
  buildOnce();
  const db = await createTestDatabase();
  let setup: TestApp | undefined;
  const servers: TesseraServer[] = [];
  const close = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await setup?.close();
    await db.drop();
  };
  try {
    setup = await startTestApp({ ISSUER: PAIR_ISSUER }, { db });
    const seeder = setup;
    const syncClock = () => seeder.clock.advance((Date.now() - seeder.clock.now()) / 1000);
    syncClock();
    const env = { DATABASE_URL: db.url, ISSUER: PAIR_ISSUER, ...settings };
    const started = await Promise.allSettled([TesseraServer.start(env), TesseraServer.start(env)]);
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return { db, setup, a: servers[0], b: servers[1], syncClock, close };
  } catch (error) {
    await close();
    throw error;
  }
}
