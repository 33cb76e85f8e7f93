import { passkeyAmr } from './passkey.js';

describe('passkeyAmr', () => {
  it('names a device-bound credential a hardware key, with user verification a second factor', () => {
    expect(passkeyAmr({ backupEligible: false })).toEqual(['hwk', 'mfa']);
  });

  it('names a backup-eligible (syncable) credential a software key', () => {
    expect(passkeyAmr({ backupEligible: true })).toEqual(['swk', 'mfa']);
  });
});
