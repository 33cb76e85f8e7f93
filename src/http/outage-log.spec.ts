import { whileConnecting } from '../persistence/availability.js';
import { StorageUnavailableError } from '../common/errors.js';
import { OUTAGE_QUIET_MS, OutageLog } from './outage-log.js';

describe('OutageLog', () => {
  const refused = () => whileConnecting(Object.assign(new Error('database "tessera" is not currently accepting connections'), { code: '55000' }));

  it('writes one line per outage, naming the SQLSTATE, however many requests it refuses', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new OutageLog({ warn: (message: string) => void lines.push(message) }, () => now);
    for (let i = 0; i < 100; i++, now += 1_000) log.unavailable(refused());
    expect(lines).toEqual([expect.stringMatching(/^the database is unavailable \(55000 database "tessera" is not currently accepting connections\)/)]);

    // Quiet for the whole period: the outage is over, and the next one is logged.
    now += OUTAGE_QUIET_MS;
    log.unavailable(new StorageUnavailableError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })));
    log.unavailable(new StorageUnavailableError());
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/\(connect ECONNREFUSED 127\.0\.0\.1:5432\)/);
  });
});
