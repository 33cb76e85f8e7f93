import type { RefreshSnapshot, RefreshVerdict } from './family.js';

export interface RefreshRequest {
  readonly clientId: string;
  readonly now: Date;
  readonly graceSeconds: number;
  /** the narrower scope asked for, or undefined to keep the family's */
  readonly requestedScope: readonly string[] | undefined;
  /** the key of the DPoP proof sent with the refresh, if any */
  readonly dpopJkt: string | undefined;
}

/**
 * The rotation rules, as one pure decision over what the store read under lock.
 * Order matters: a dead family answers the same whoever asks; a token in the wrong
 * hands is theft before it is anything else (RFC 9700 §4.14.2).
 */
export function judgeRefresh(snapshot: RefreshSnapshot, request: RefreshRequest): RefreshVerdict {
  const { family } = snapshot;
  if (family.revokedAt) return { kind: 'reject', reason: 'revoked' };
  // RFC 9449 §5: a bound refresh token is worth nothing without its key. Whoever lacks the
  // key changes nothing, not even by a reuse that would end the owner's session.
  if (family.dpopJkt && family.dpopJkt !== request.dpopJkt) return { kind: 'reject', reason: 'dpop_key_mismatch' };
  // RFC 6749 §6: the refresh token must have been issued to the authenticated client.
  if (family.clientId !== request.clientId) return { kind: 'reuse', reason: 'other_client' };
  const now = request.now.getTime();
  if (now >= family.idleExpiresAt.getTime() || now >= family.absoluteExpiresAt.getTime()) return { kind: 'expired' };
  if (snapshot.userDisabled) return { kind: 'reject', reason: 'user_disabled' };
  if (snapshot.usedAt !== null) {
    // A used token is theft unless it is the immediate parent, retried within the window.
    if (snapshot.successorUsed) return { kind: 'reuse', reason: 'stale_ancestor' };
    const withinGrace = now - snapshot.usedAt.getTime() < request.graceSeconds * 1000;
    if (!withinGrace || !snapshot.sealedSuccessor) return { kind: 'reuse', reason: 'after_grace' };
  }
  if (request.requestedScope && !isSubset(request.requestedScope, family.scope)) {
    return { kind: 'reject', reason: 'invalid_scope' };
  }
  return snapshot.usedAt === null ? { kind: 'rotate' } : { kind: 'grace' };
}

function isSubset(requested: readonly string[], granted: string): boolean {
  const allowed = new Set(granted.split(' ').filter(Boolean));
  return requested.every((scope) => allowed.has(scope));
}
