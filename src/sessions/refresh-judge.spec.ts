import type { Family, RefreshSnapshot } from './family.js';
import { judgeRefresh, type RefreshRequest } from './refresh-judge.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const LATER = new Date(NOW.getTime() + 3_600_000);

function snapshot(family: Partial<Family> = {}, token: Partial<RefreshSnapshot> = {}): RefreshSnapshot {
  return {
    family: {
      id: 'f', userId: 'u', clientId: 'app', scope: 'read', createdAt: NOW, lastUsedAt: NOW, idleExpiresAt: LATER,
      absoluteExpiresAt: LATER, ip: null, userAgent: null, revokedAt: null, revokedReason: null, dpopJkt: null, ...family,
    },
    userDisabled: false,
    usedAt: null,
    successorUsed: false,
    sealedSuccessor: null,
    ...token,
  };
}

const request = (dpopJkt?: string): RefreshRequest => ({ clientId: 'app', now: NOW, graceSeconds: 10, requestedScope: undefined, dpopJkt });

describe('judgeRefresh and DPoP binding (RFC 9449 §5)', () => {
  it('rotates a bound family only with a proof of its key', () => {
    expect(judgeRefresh(snapshot({ dpopJkt: 'k1' }), request('k1'))).toEqual({ kind: 'rotate' });
    expect(judgeRefresh(snapshot({ dpopJkt: 'k1' }), request('k2'))).toEqual({ kind: 'reject', reason: 'dpop_key_mismatch' });
    expect(judgeRefresh(snapshot({ dpopJkt: 'k1' }), request())).toEqual({ kind: 'reject', reason: 'dpop_key_mismatch' });
  });

  it('lets an unbound family rotate with or without a proof', () => {
    expect(judgeRefresh(snapshot(), request('k1'))).toEqual({ kind: 'rotate' });
    expect(judgeRefresh(snapshot(), request())).toEqual({ kind: 'rotate' });
  });

  it('never lets a presenter without the key trigger reuse detection, which would end the session of its owner', () => {
    const stale = snapshot({ dpopJkt: 'k1' }, { usedAt: NOW, successorUsed: true });
    expect(judgeRefresh(stale, request('thief'))).toEqual({ kind: 'reject', reason: 'dpop_key_mismatch' });
    expect(judgeRefresh(stale, request('k1'))).toEqual({ kind: 'reuse', reason: 'stale_ancestor' });
    expect(judgeRefresh(snapshot({ dpopJkt: 'k1', clientId: 'other' }), request('thief'))).toEqual({ kind: 'reject', reason: 'dpop_key_mismatch' });
  });
});
