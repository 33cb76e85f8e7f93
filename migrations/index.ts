import { InitialSchema1764250000000 } from './1764250000000-InitialSchema.js';
import { RevocationFeedAndOpaqueTokens1764300000000 } from './1764300000000-RevocationFeedAndOpaqueTokens.js';
import { FamiliesAbsoluteExpiryIndex1764420000000 } from './1764420000000-FamiliesAbsoluteExpiryIndex.js';

/** Every migration, oldest first. Listed explicitly: no glob loading under ESM. */
export const migrations = [
  InitialSchema1764250000000,
  RevocationFeedAndOpaqueTokens1764300000000,
  FamiliesAbsoluteExpiryIndex1764420000000,
];
