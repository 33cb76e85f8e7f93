import { DatabaseClock } from '../../src/common/database-clock.js';
import { databaseTime } from '../../src/persistence/database-time.js';
import { ShiftedClock } from '../setup/clock.js';
import { createTestDatabase, type TestDatabase } from '../setup/database.js';

// The database runs on this machine: its clock is the real time, within what a round trip
// (best of five) leaves unknown. A second covers a busy machine.
const TOLERANCE_SECONDS = 1;

describe('DatabaseClock: the process follows the database clock, whatever its own', () => {
  let db: TestDatabase;
  const readDatabase = () => databaseTime(db.dataSource);

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it("measures an own clock 20 s fast as 20 s ahead, and answers the database's time", async () => {
    const clock = await DatabaseClock.start(new ShiftedClock(20), readDatabase);
    expect(Math.abs(clock.offsetSeconds - -20)).toBeLessThan(TOLERANCE_SECONDS);
    expect(clock.describeOffset()).toMatch(/^(19|20)\.\d s ahead of the database's$/);
    const before = await readDatabase();
    const now = clock.now();
    const after = await readDatabase();
    expect(now).toBeGreaterThan(before - TOLERANCE_SECONDS * 1000);
    expect(now).toBeLessThan(after + TOLERANCE_SECONDS * 1000);
  });

  it('measures an own clock that is behind as behind', async () => {
    const clock = await DatabaseClock.start(new ShiftedClock(-90), readDatabase);
    expect(Math.abs(clock.offsetSeconds - 90)).toBeLessThan(TOLERANCE_SECONDS);
    expect(clock.describeOffset()).toMatch(/ s behind the database's$/);
  });

  it('ignores a step of its own clock until the next measurement, which sees it', async () => {
    const own = new ShiftedClock(0);
    const clock = await DatabaseClock.start(own, readDatabase);
    own.advance(300);
    expect(Math.abs(clock.now() - (await readDatabase()))).toBeLessThan(TOLERANCE_SECONDS * 1000);
    await clock.measure();
    expect(Math.abs(clock.offsetSeconds - -300)).toBeLessThan(TOLERANCE_SECONDS);
    expect(Math.abs(clock.now() - (await readDatabase()))).toBeLessThan(TOLERANCE_SECONDS * 1000);
  });

  it('refuses beyond the maximum, and never when the maximum is 0', async () => {
    const clock = await DatabaseClock.start(new ShiftedClock(45), readDatabase);
    expect(clock.skewRefusal(30)).toMatch(/^the clock is 4\d\.\d s ahead of the database's \(more than CLOCK_SKEW_MAX_SECONDS=30\)$/);
    expect(clock.skewRefusal(60)).toBeUndefined();
    expect(clock.skewRefusal(0)).toBeUndefined();
  });
});
