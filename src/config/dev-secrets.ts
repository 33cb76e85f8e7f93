import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig, ResolvedConfig } from './config.js';

const FILE = 'secrets.json';

interface StoredSecrets {
  keyEncryptionSecret: string;
  tokenHashSecret: string;
}

/**
 * Outside production a missing secret is generated once and kept, mode 0600, under the
 * data directory, so a restart can still read its signing keys and refresh tokens.
 * Production never gets here without both secrets (loadConfig refuses to boot).
 */
export function withSecrets(config: AppConfig): ResolvedConfig {
  if (config.keyEncryptionSecret && config.tokenHashSecret) return config as ResolvedConfig;
  const stored = readOrCreate(config.dataDir);
  return Object.freeze({
    ...config,
    keyEncryptionSecret: config.keyEncryptionSecret ?? stored.keyEncryptionSecret,
    tokenHashSecret: config.tokenHashSecret ?? stored.tokenHashSecret,
  });
}

function readOrCreate(dataDir: string): StoredSecrets {
  const path = join(dataDir, FILE);
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StoredSecrets>;
    if (typeof parsed.keyEncryptionSecret === 'string' && typeof parsed.tokenHashSecret === 'string') {
      return { keyEncryptionSecret: parsed.keyEncryptionSecret, tokenHashSecret: parsed.tokenHashSecret };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  const secrets: StoredSecrets = {
    keyEncryptionSecret: randomBytes(32).toString('base64url'),
    tokenHashSecret: randomBytes(32).toString('base64url'),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created the file first; then its secrets win.
  try {
    writeFileSync(path, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readOrCreate(dataDir);
    throw error;
  }
  return secrets;
}
