import { AUDIT_EVENT_TYPES, type AuditEventType, type AuditFilter } from '../audit/audit-event.js';
import { CLIENT_KEY, UUID_KEY } from '../http/pagination.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { FormParams } from '../oauth/form/form-params.js';

/** What an `<input type="datetime-local">` sends: no zone (the console reads it as UTC), seconds only when typed. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** The filter fields as the form sends them back, so a page (and its next page) shows what was asked. */
export interface EventsQuery {
  readonly type?: AuditEventType;
  readonly user?: string;
  readonly client?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface EventsFilter {
  readonly query: EventsQuery;
  /** the same, as the audit log reads it: `from` included, `to` included to its last second */
  readonly audit: AuditFilter;
}

/**
 * The events page's filters from its query string. Anything that is not one of the
 * form's own values is a 400 page naming the field, never a 500 and never an empty
 * page that would look like "nothing happened".
 */
export function eventsFilterOf(params: FormParams): EventsFilter {
  const type = params.get('type') || undefined;
  const user = params.get('user') || undefined;
  const client = params.get('client') || undefined;
  const from = params.get('from') || undefined;
  const to = params.get('to') || undefined;
  if (type !== undefined && !AUDIT_EVENT_TYPES.includes(type as AuditEventType)) throw OAuthError.invalidRequest('type is not an audit event type');
  if (user !== undefined && !UUID_KEY.test(user)) throw OAuthError.invalidRequest('user must be a user id');
  if (client !== undefined && !CLIENT_KEY.test(client)) throw OAuthError.invalidRequest('client must be a client id');
  const since = from === undefined ? undefined : utcTime(from, 'from');
  const until = to === undefined ? undefined : endOf(to, utcTime(to, 'to'));
  if (since && until && since.getTime() >= until.getTime()) throw OAuthError.invalidRequest('from must be before to');
  return {
    query: { type: type as AuditEventType | undefined, user, client, from, to },
    audit: { type: type as AuditEventType | undefined, userId: user, clientId: client, since, until },
  };
}

/** The query string that asks for the same filters (a page link, the next page's cursor beside it). */
export function queryOfFilter(query: EventsQuery): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
}

/** YYYY-MM-DDTHH:MM[:SS] in UTC; a day that does not exist (February 30) is refused, not rolled over. */
function utcTime(value: string, name: string): Date {
  const at = LOCAL_TIME.test(value) ? new Date(`${value.length === 16 ? `${value}:00` : value}Z`) : new Date(NaN);
  if (Number.isNaN(at.getTime()) || at.getTime() < 0 || at.toISOString().slice(0, value.length) !== value) {
    throw OAuthError.invalidRequest(`${name} must be a date and time (YYYY-MM-DDTHH:MM, UTC)`);
  }
  return at;
}

/** "To 10:30" includes the events of 10:30 itself: the end is the next minute (or second, when typed). */
function endOf(value: string, at: Date): Date {
  return new Date(at.getTime() + (value.length === 16 ? 60_000 : 1_000));
}
