import { InitialSchema1764250000000 } from './1764250000000-InitialSchema.js';
import { RevocationFeedAndOpaqueTokens1764300000000 } from './1764300000000-RevocationFeedAndOpaqueTokens.js';
import { LoginThrottle1764400000000 } from './1764400000000-LoginThrottle.js';
import { FamiliesAbsoluteExpiryIndex1764420000000 } from './1764420000000-FamiliesAbsoluteExpiryIndex.js';
import { RevocationEventsBySubject1764500000000 } from './1764500000000-RevocationEventsBySubject.js';
import { RotationFriendlyStorage1764600000000 } from './1764600000000-RotationFriendlyStorage.js';
import { ClientRevocations1764700000000 } from './1764700000000-ClientRevocations.js';
import { NormalisedUsernames1764710000000 } from './1764710000000-NormalisedUsernames.js';
import { ClientSecretRotation1764712000000 } from './1764712000000-ClientSecretRotation.js';
import { ClientRedirectUris1764800000000 } from './1764800000000-ClientRedirectUris.js';
import { AuthorizationCodes1764810000000 } from './1764810000000-AuthorizationCodes.js';
import { LoginSessionsAndConsents1764820000000 } from './1764820000000-LoginSessionsAndConsents.js';
import { PushedAuthorizationRequests1764830000000 } from './1764830000000-PushedAuthorizationRequests.js';
import { SsfStreams1764840000000 } from './1764840000000-SsfStreams.js';
import { UserProfileClaims1764900000000 } from './1764900000000-UserProfileClaims.js';
import { PendingSigningKeys1764910000000 } from './1764910000000-PendingSigningKeys.js';
import { FamilyAuthentication1764920000000 } from './1764920000000-FamilyAuthentication.js';
import { ClientPostLogoutRedirectUris1765000000000 } from './1765000000000-ClientPostLogoutRedirectUris.js';
import { BackchannelLogout1765010000000 } from './1765010000000-BackchannelLogout.js';
import { DpopBinding1765020000000 } from './1765020000000-DpopBinding.js';
import { ClientNames1765030000000 } from './1765030000000-ClientNames.js';
import { SsfStreamLapses1765040000000 } from './1765040000000-SsfStreamLapses.js';
import { CredentialChangeEvents1765060000000 } from './1765060000000-CredentialChangeEvents.js';
import { SecondFactor1765100000000 } from './1765100000000-SecondFactor.js';
import { Passkeys1765110000000 } from './1765110000000-Passkeys.js';
import { ConsoleClient1765120000000 } from './1765120000000-ConsoleClient.js';
import { Leases1765140000000 } from './1765140000000-Leases.js';
import { AuditEventsByClient1765210000000 } from './1765210000000-AuditEventsByClient.js';
import { RevocationNotificationsCarryEvents1765230000000 } from './1765230000000-RevocationNotificationsCarryEvents.js';
import { RevocationFeedPositions1765250000000 } from './1765250000000-RevocationFeedPositions.js';
import { RevocationNotificationsSentByTheAppend1765260000000 } from './1765260000000-RevocationNotificationsSentByTheAppend.js';
import { RotationInsertsOnly1765270000000 } from './1765270000000-RotationInsertsOnly.js';
import { GraceCopiesApart1765280000000 } from './1765280000000-GraceCopiesApart.js';

/** Every migration, oldest first. Listed explicitly: no glob loading under ESM. */
export const migrations = [
  InitialSchema1764250000000,
  RevocationFeedAndOpaqueTokens1764300000000,
  LoginThrottle1764400000000,
  FamiliesAbsoluteExpiryIndex1764420000000,
  RevocationEventsBySubject1764500000000,
  RotationFriendlyStorage1764600000000,
  ClientRevocations1764700000000,
  NormalisedUsernames1764710000000,
  ClientSecretRotation1764712000000,
  ClientRedirectUris1764800000000,
  AuthorizationCodes1764810000000,
  LoginSessionsAndConsents1764820000000,
  PushedAuthorizationRequests1764830000000,
  SsfStreams1764840000000,
  UserProfileClaims1764900000000,
  PendingSigningKeys1764910000000,
  FamilyAuthentication1764920000000,
  ClientPostLogoutRedirectUris1765000000000,
  BackchannelLogout1765010000000,
  DpopBinding1765020000000,
  ClientNames1765030000000,
  SsfStreamLapses1765040000000,
  CredentialChangeEvents1765060000000,
  SecondFactor1765100000000,
  Passkeys1765110000000,
  ConsoleClient1765120000000,
  Leases1765140000000,
  AuditEventsByClient1765210000000,
  RevocationNotificationsCarryEvents1765230000000,
  RevocationFeedPositions1765250000000,
  RevocationNotificationsSentByTheAppend1765260000000,
  RotationInsertsOnly1765270000000,
  GraceCopiesApart1765280000000,
];
