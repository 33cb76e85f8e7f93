/** How long a logout token is retried before the delivery is given up (and audited). */
export const BACKCHANNEL_GIVE_UP_AFTER = '1 day';

/**
 * A CTE of the family revocation statement (family.store.ts REVOKE, which names the ended
 * families `revoked`, each with its revoked_at and revoked_reason): one back-channel logout per client
 * and sid for every ended family whose client registered a URI, written in the same
 * statement as the revocation (STYLE "transactional outbox"). The sid is the one the
 * client's ID tokens carried (the login session), else the family id, the sid of its
 * access tokens. A session that merely expired is not announced (§2.5 is about logouts).
 * A logout still owed for the same client and sid already covers this one.
 */
export const BACKCHANNEL_OUTBOX = `
  owed AS (
    INSERT INTO backchannel_logouts (client_id, endpoint, subject, sid, reason, created_at, next_attempt_at, give_up_at)
    SELECT DISTINCT ON (r.client_id, COALESCE(r.id_token_sid, r.id))
           r.client_id, c.backchannel_logout_uri, r.user_id::text, COALESCE(r.id_token_sid, r.id)::text,
           r.revoked_reason, r.revoked_at, r.revoked_at, r.revoked_at + interval '${BACKCHANNEL_GIVE_UP_AFTER}'
    FROM revoked r JOIN clients c ON c.id = r.client_id
    WHERE c.backchannel_logout_uri IS NOT NULL AND r.revoked_reason <> 'expired'
    ON CONFLICT (client_id, sid) WHERE delivered_at IS NULL AND gave_up_at IS NULL DO NOTHING
  )`;
