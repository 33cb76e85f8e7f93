/**
 * CTEs appending to the revocation feed the rows of `source`, a SELECT of (kind,
 * subject, created_at, until), as the CTE `name` (RETURNING id, position). Every writer
 * of the feed appends through this, in the statement of its revocation.
 *
 * Positions, not ids, order the feed (migration RevocationFeedPositions): the statement
 * takes as many as it appends from the one row of revocation_feed_head, whose lock it
 * holds until commit, so an append that commits later has later positions, and a reader
 * that has seen one position has seen every one below it. The lock is taken only when
 * there is something to append, after the rows are known, and last in the statement's
 * work on other tables, so it is held for the commit alone.
 *
 * The same update announces the rows, `[[position,kind,subject,created_ms,until_ms],…]`,
 * through tessera_feed_notify (migration RevocationNotificationsSentByTheAppend): one
 * notification per append, delivered at its commit, so in position order; on an engine
 * without NOTIFY that function does nothing and processes learn by their poll.
 */
export function appendToFeed(name: string, source: string): string {
  return `${name}_rows AS MATERIALIZED (
    SELECT row_number() OVER () AS n, kind, subject, created_at, until FROM (${source}) s (kind, subject, created_at, until)
  ), ${name}_head AS (
    UPDATE revocation_feed_head SET position = position + (SELECT count(*) FROM ${name}_rows)
    WHERE EXISTS (SELECT 1 FROM ${name}_rows)
    RETURNING position - (SELECT count(*) FROM ${name}_rows) AS base, tessera_feed_notify((
      SELECT '[' || string_agg(
          '[' || (revocation_feed_head.position - (SELECT count(*) FROM ${name}_rows) + r.n) || ',' || to_json(r.kind) || ','
            || to_json(r.subject) || ',' || floor(extract(epoch FROM r.created_at) * 1000)::bigint || ','
            || floor(extract(epoch FROM r.until) * 1000)::bigint || ']',
          ',' ORDER BY r.n) || ']'
      FROM ${name}_rows r)) AS announced
  ), ${name} AS (
    INSERT INTO revocation_events (position, kind, subject, created_at, until)
    SELECT h.base + r.n, r.kind, r.subject, r.created_at, r.until FROM ${name}_rows r CROSS JOIN ${name}_head h
    RETURNING id, position
  )`;
}
