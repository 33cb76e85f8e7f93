import { keyState } from './signing-key.js';

describe('keyState', () => {
  const at = (iso: string) => new Date(iso);
  const now = Date.parse('2026-01-01T12:00:00Z');

  it('is pending before it activates, active while it signs, retired once its successor signs', () => {
    expect(keyState({ activatesAt: at('2026-01-01T12:01:00Z'), retiredAt: null }, now)).toBe('pending');
    expect(keyState({ activatesAt: at('2026-01-01T11:00:00Z'), retiredAt: null }, now)).toBe('active');
    // A rotation is staged: the active key signs until the pending key activates.
    expect(keyState({ activatesAt: at('2026-01-01T11:00:00Z'), retiredAt: at('2026-01-01T12:01:00Z') }, now)).toBe('active');
    expect(keyState({ activatesAt: at('2026-01-01T11:00:00Z'), retiredAt: at('2026-01-01T12:00:00Z') }, now)).toBe('retired');
  });
});
