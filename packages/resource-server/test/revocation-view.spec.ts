import { RevocationView } from '../src/revocation-view.js';

describe('RevocationView', () => {
  let now: number;
  let view: RevocationView;
  beforeEach(() => {
    now = Date.parse('2026-01-01T00:00:00Z');
    view = new RevocationView({ retention: 600, now: () => now });
  });
  const T = () => now / 1000;

  it('refuses, by each kind, the tokens issued at or before the revocation and not those after', () => {
    const at = T();
    view.revoke({ kind: 'sid', value: 's1', at });
    view.revoke({ kind: 'sub', value: 'u1', at });
    view.revoke({ kind: 'client_id', value: 'c1', at });
    view.revoke({ kind: 'jti', value: 'j1', at });
    for (const claims of [{ sid: 's1' }, { sub: 'u1' }, { client_id: 'c1' }, { jti: 'j1' }]) {
      expect(view.revokedBy({ ...claims, iat: at - 10 })).toMatchObject({ value: Object.values(claims)[0], at });
      expect(view.revokedBy({ ...claims, iat: at })).toBeDefined();
      expect(view.revokedBy({ ...claims, iat: at + 1 })).toBeUndefined();
    }
    expect(view.revokedBy({ sid: 's2', sub: 'u2', client_id: 'c2', jti: 'j2', iat: at - 10 })).toBeUndefined();
  });

  it('names the kind that matched, and refuses a token without iat that it names', () => {
    view.revoke({ kind: 'sub', value: 'u1', at: T() });
    expect(view.revokedBy({ sid: 's9', sub: 'u1', jti: 'j9' })).toEqual({ kind: 'sub', value: 'u1', at: T() });
  });

  it('keeps the latest time of a value whatever the order of delivery, and counts each value once', () => {
    view.revoke({ kind: 'sub', value: 'u1', at: T() + 100 });
    view.revoke({ kind: 'sub', value: 'u1', at: T() });
    view.revoke({ kind: 'sub', value: 'u1', at: T() + 100 });
    expect(view.size).toBe(1);
    expect(view.revokedBy({ sub: 'u1', iat: T() + 50 })).toBeDefined();
  });

  it('forgets a revocation once no token it concerns can be alive', () => {
    view.revoke({ kind: 'sid', value: 'old', at: T() - 601 });
    view.revoke({ kind: 'sid', value: 'recent', at: T() - 599 });
    expect(view.prune()).toBe(1);
    expect(view.size).toBe(1);
    expect(view.revokedBy({ sid: 'recent', iat: T() - 700 })).toBeDefined();
  });

  it('reports when it was last known complete, never going back', () => {
    expect(view.freshAt()).toBeUndefined();
    view.markFresh();
    expect(view.freshAt()).toBe(now);
    view.markFresh(now - 5000);
    expect(view.freshAt()).toBe(now);
  });

  it('refuses an unknown kind and a time that is not a number', () => {
    expect(() => view.revoke({ kind: 'email' as 'sid', value: 'x', at: T() })).toThrow(/kind/);
    expect(() => view.revoke({ kind: 'sid', value: 'x', at: Number.NaN })).toThrow(/finite/);
  });
});
