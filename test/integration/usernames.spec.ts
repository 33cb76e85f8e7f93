import { migrate } from '../../src/persistence/data-source.js';
import { TokenHashers } from '../../src/common/token-hashers.js';
import { UsersService } from '../../src/users/users.service.js';
import { api, createAdmin, rows, type TestAdmin } from '../factories/admin.js';
import { createClient, postForm, type TestClient, token } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

const PASSWORD = 'correct horse battery';

/**
 * Issue 19, defect 8: `alice`, `ALICE`, `ali\u200bce` and `a\ud800b` were four accounts.
 * Usernames are compared by their RFC 8265 §3.3 key everywhere: registration, login,
 * admin lookups, the CLI and the login throttle.
 */
describe('usernames under RFC 8265', () => {
  let t: TestApp;
  let admin: TestAdmin;
  let client: TestClient;

  const register = (username: string) => api(t, 'POST', '/admin/users', { token: admin.token, body: { username, password: PASSWORD } });
  const passwordLogin = (username: string, password = PASSWORD) => token(t, client, { grant_type: 'password', username, password });

  beforeAll(async () => {
    t = await startTestApp();
    admin = await createAdmin(t);
    client = await createClient(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('the repro: alice is one account; ALICE is taken; the invisible and the broken one are refused, naming the rule', async () => {
    const alice = await register('alice');
    expect(alice.status).toBe(201);

    for (const same of ['ALICE', 'Alice', 'ａｌｉｃｅ']) {
      const taken = await register(same);
      expect({ status: taken.status, error: taken.body.error }).toEqual({ status: 409, error: 'invalid_request' });
    }
    const invisible = await register('ali\u200bce');
    expect(invisible.status).toBe(400);
    expect(invisible.body).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/^username: may not contain an invisible \(default-ignorable\) character \(U\+200B/) });
    const broken = await register('a\ud800b');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ error: 'invalid_request', error_description: expect.stringMatching(/^username: may not contain lone surrogates/) });
    expect(await rows(t, `SELECT username, username_key FROM users WHERE username_key = 'alice'`)).toEqual([{ username: 'alice', username_key: 'alice' }]);
  });

  it('logs in under any form of the name, and shows the name as it was registered', async () => {
    expect((await register('Bärbel')).status).toBe(201);
    for (const typed of ['Bärbel', 'BÄRBEL', 'ba\u0308rbel', 'ＢÄＲＢＥＬ']) {
      const result = await passwordLogin(typed);
      expect({ typed, status: result.status }).toEqual({ typed, status: 200 });
    }
    expect((await passwordLogin('bar\u200bbel')).body.error).toBe('invalid_grant');
    const listed = await api(t, 'GET', `/admin/users?username=${encodeURIComponent('BÄRBEL')}`, { token: admin.token });
    expect((listed.body.items as Array<{ username: string }>).map((user) => user.username)).toEqual(['Bärbel']);
    const none = await api(t, 'GET', `/admin/users?username=${encodeURIComponent('bär\u200bbel')}`, { token: admin.token });
    expect({ status: none.status, items: none.body.items }).toEqual({ status: 200, items: [] });
  });

  it('the lookup the CLI uses (--user) and the login throttle key go through the same key', async () => {
    expect((await register('Straße')).status).toBe(201);
    const found = await t.app.get(UsersService).findByUsername('STRASSE');
    expect(found?.username).toBe('Straße');

    expect((await passwordLogin('STRASSE', 'wrong password')).status).toBe(400);
    const key = t.app.get(TokenHashers).loginThrottle.hash('strasse');
    expect(await rows(t, `SELECT failures FROM login_throttle WHERE username_key = $1 AND ip = ''`, [key])).toEqual([{ failures: 1 }]);
  });

  it('a direct form login with a refused name is an ordinary invalid_grant, never a 500', async () => {
    const result = await postForm(t, '/oauth/token', 'grant_type=password&username=a%ED%A0%80b&password=x', { authorization: client.basic });
    expect(result.status).toBe(400);
  });
});

describe('the NormalisedUsernames migration on a database with colliding usernames', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const insertUser = (id: string, username: string) =>
    db.dataSource.query(
      `INSERT INTO users (id, username, password_hash, roles, created_at, updated_at) VALUES ($1, $2, 'x', '{}', now(), now())`,
      [id, username],
    );

  it('stops and lists every collision and refused name, merges nothing, and applies once they are fixed', async () => {
    // Back to the schema before the migration (undoing any later one first), where the rows
    // below could be written.
    const applied = async () => (await db.dataSource.query<{ name: string }[]>('SELECT name FROM typeorm_migrations')).map((row) => row.name);
    while ((await applied()).includes('NormalisedUsernames1764710000000')) await db.dataSource.undoLastMigration({ transaction: 'each' });
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003'];
    await insertUser(ids[0], 'alice');
    await insertUser(ids[1], 'ALICE');
    await insertUser(ids[2], 'ali\u200bce');
    await insertUser('00000000-0000-4000-8000-000000000004', 'bob');

    const failure = await migrate(db.dataSource).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toContain('2 username(s) break the RFC 8265 username rules');
    expect(failure).toContain(`users ${ids[0]} "alice", ${ids[1]} "ALICE" are one username`);
    expect(failure).toContain(`user ${ids[2]} "ali\\u{200b}ce" may not contain an invisible (default-ignorable) character`);
    expect(failure).toContain(`UPDATE users SET username = '<new name>' WHERE id = '<id>'`);
    // Nothing merged, renamed or half-applied.
    expect(await db.dataSource.query(`SELECT username FROM users ORDER BY id`)).toEqual(
      ['alice', 'ALICE', 'ali\u200bce', 'bob'].map((username) => ({ username })),
    );
    expect(await db.dataSource.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'username_key'`)).toEqual([]);

    await db.dataSource.query(`UPDATE users SET username = 'alice-2' WHERE id = $1`, [ids[1]]);
    await db.dataSource.query(`DELETE FROM users WHERE id = $1`, [ids[2]]);
    expect(await migrate(db.dataSource)).toContain('NormalisedUsernames1764710000000');
    expect(await db.dataSource.query(`SELECT username, username_key FROM users ORDER BY id`)).toEqual([
      { username: 'alice', username_key: 'alice' },
      { username: 'alice-2', username_key: 'alice-2' },
      { username: 'bob', username_key: 'bob' },
    ]);
    await expect(insertUser('00000000-0000-4000-8000-000000000005', 'x')).rejects.toThrow(/username_key/);
  });
});
