import { OAuthError } from '../oauth/errors/oauth-error.js';
import { FormParams } from '../oauth/form/form-params.js';
import { eventsFilterOf, queryOfFilter } from './events-filter.js';

const USER = '0b0f5c1e-8a57-4c35-9d1e-3f8b6a1c2d4e';
const filterOf = (query: string) => eventsFilterOf(FormParams.parse(query));
const refusal = (query: string) => {
  try {
    filterOf(query);
  } catch (error) {
    return error instanceof OAuthError ? `${error.code}: ${error.description}` : `not an OAuthError: ${String(error)}`;
  }
  return 'accepted';
};

describe('the console events filter', () => {
  it('reads the form as sent, empty fields as no filter', () => {
    expect(filterOf('type=&user=&client=&from=&to=')).toEqual({ query: {}, audit: {} });
    const filter = filterOf(`type=session_revoked&user=${USER}&client=phone-app&from=2026-03-01T10:00&to=2026-03-01T11:30`);
    expect(filter.query).toEqual({ type: 'session_revoked', user: USER, client: 'phone-app', from: '2026-03-01T10:00', to: '2026-03-01T11:30' });
    expect(filter.audit).toEqual({
      type: 'session_revoked',
      userId: USER,
      clientId: 'phone-app',
      since: new Date('2026-03-01T10:00:00Z'),
      // "To 11:30" includes 11:30 itself.
      until: new Date('2026-03-01T11:31:00Z'),
    });
  });

  it('takes seconds when the browser sends them, and ends "to" at that second', () => {
    expect(filterOf('from=2026-03-01T10:00:05&to=2026-03-01T10:00:05').audit).toMatchObject({
      since: new Date('2026-03-01T10:00:05Z'),
      until: new Date('2026-03-01T10:00:06Z'),
    });
  });

  it.each([
    ['type=everything', 'type is not an audit event type'],
    ['user=bob', 'user must be a user id'],
    ['client=%3Cscript%3E', 'client must be a client id'],
    ['from=yesterday', 'from must be a date and time'],
    ['from=2026-02-30T10:00', 'from must be a date and time'],
    ['to=2026-03-01T24:00', 'to must be a date and time'],
    ['to=2026-03-01 10:00', 'to must be a date and time'],
    ['to=2026-03-01T10:00Z', 'to must be a date and time'],
    ['to=1969-12-31T23:59', 'to must be a date and time'],
    ['from=2026-03-01T10:00&to=2026-03-01T09:59', 'from must be before to'],
    ['type=login_failed&type=login_succeeded', 'repeated'],
  ])('refuses %s with invalid_request', (query, reason) => {
    expect(refusal(query)).toMatch(/^invalid_request: /);
    expect(refusal(query)).toContain(reason);
  });

  it('gives back the filters in use, for the next page\'s link', () => {
    expect(queryOfFilter(filterOf(`client=phone-app&from=2026-03-01T10:00&user=`).query)).toEqual({ client: 'phone-app', from: '2026-03-01T10:00' });
    expect(queryOfFilter({})).toEqual({});
  });
});
