import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, whileConnecting } from './availability.js';

const sqlState = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const inQuery = (error: Error) => new QueryFailedError('SELECT 1', [], error);

describe('isDatabaseUnavailable', () => {
  it.each([
    ['08006', 'connection_failure'],
    ['53300', 'too_many_connections (CONNECTION LIMIT)'],
    ['57P01', 'admin_shutdown'],
    ['57P03', 'cannot_connect_now'],
    ['57P04', 'database_dropped'],
    ['3D000', 'the database does not exist'],
    ['28000', 'the role may not log in'],
    ['28P01', 'the password changed'],
    ['25006', 'a read-only server (standby, failover, default_transaction_read_only)'],
  ])('%s (%s) is the database away, from a query or a connect', (code) => {
    expect(isDatabaseUnavailable(inQuery(sqlState(code)))).toBe(true);
    expect(isDatabaseUnavailable(whileConnecting(sqlState(code)))).toBe(true);
  });

  it('55000 is the database away only when it refused a connection (ALLOW_CONNECTIONS false)', () => {
    const refused = whileConnecting(sqlState('55000', 'database "tessera" is not currently accepting connections'));
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(inQuery(refused))).toBe(true);
    // The same SQLSTATE from a statement is a bug of ours: a 500 with its stack in the log.
    expect(isDatabaseUnavailable(inQuery(sqlState('55000', 'currval of sequence "s" is not yet defined in this session')))).toBe(false);
  });

  it.each([
    'timeout exceeded when trying to connect',
    'Connection terminated due to connection timeout',
    'Connection terminated unexpectedly',
  ])('node-postgres\'s %j is the database away', (message) => {
    expect(isDatabaseUnavailable(new Error(message))).toBe(true);
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT'])('a socket error %s, also inside an AggregateError', (code) => {
    expect(isDatabaseUnavailable(new AggregateError([sqlState(code)]))).toBe(true);
  });

  it.each(['23505', '42P01', '22P02', '40001', '25P02', '42501'])('%s is not', (code) => {
    expect(isDatabaseUnavailable(inQuery(sqlState(code)))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
});
