import { InitialSchema1764250000000 } from './1764250000000-InitialSchema.js';
import { RevocationFeedAndOpaqueTokens1764300000000 } from './1764300000000-RevocationFeedAndOpaqueTokens.js';
import { LoginThrottle1764400000000 } from './1764400000000-LoginThrottle.js';
import { FamiliesAbsoluteExpiryIndex1764420000000 } from './1764420000000-FamiliesAbsoluteExpiryIndex.js';
import { RevocationEventsBySubject1764500000000 } from './1764500000000-RevocationEventsBySubject.js';
import { RotationFriendlyStorage1764600000000 } from './1764600000000-RotationFriendlyStorage.js';
import { ClientSecretRotation1764712000000 } from './1764712000000-ClientSecretRotation.js';
import { SsfStreams1764816000000 } from './1764816000000-SsfStreams.js';

/** Every migration, oldest first. Listed explicitly: no glob loading under ESM. */
export const migrations = [
  InitialSchema1764250000000,
  RevocationFeedAndOpaqueTokens1764300000000,
  LoginThrottle1764400000000,
  FamiliesAbsoluteExpiryIndex1764420000000,
  RevocationEventsBySubject1764500000000,
  RotationFriendlyStorage1764600000000,
  ClientSecretRotation1764712000000,
  SsfStreams1764816000000,
];
