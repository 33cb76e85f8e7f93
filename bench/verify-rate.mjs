// node:crypto's own ES256 verification rate on the servers' core, beside distinct-JWT
// introspection, whose every request verifies one signature: no server can introspect
// distinct JWTs faster than this on one core. Run as a child (bench/run.mjs pins it to the
// servers' core) with the tokens and their signing keys on stdin; prints verifications/s.
import { createPublicKey, verify } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_CORE } from './processes.mjs';

/** Verifications per second, over `seconds`, of `tokens` (compact ES256 JWTs) under the keys of `jwks`, on the servers' core. */
export async function measureVerifyRate({ tokens, jwks, seconds, pinned }) {
  const script = fileURLToPath(import.meta.url);
  const [command, args] = pinned ? ['taskset', ['-c', SERVER_CORE, process.execPath, script]] : [process.execPath, [script]];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end(JSON.stringify({ tokens, jwks, seconds }));
  const code = await exited;
  if (code !== 0) throw new Error(`the verification-rate child exited with code ${code}`);
  return JSON.parse(out);
}

async function child() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { tokens, jwks, seconds } = JSON.parse(input);
  const keys = new Map(jwks.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]));
  // Split and decode outside the timed loop: what is timed is the signature check alone.
  const parsed = tokens.map((token) => {
    const [header, payload, signature] = token.split('.');
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
    return { key: keys.get(kid), input: Buffer.from(`${header}.${payload}`), signature: Buffer.from(signature, 'base64url') };
  });
  if (parsed.some((token) => !token.key)) throw new Error('a token names a key the JWKS does not hold');
  const verifyAll = () => {
    for (const { key, input, signature } of parsed) {
      if (!verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('a signature did not verify');
    }
  };
  verifyAll(); // warm-up, and proof that every token verifies
  let passes = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let now = started;
  while (now < deadline) {
    verifyAll();
    passes++;
    now = process.hrtime.bigint();
  }
  const elapsed = Number(now - started) / 1e9;
  process.stdout.write(JSON.stringify({ verificationsPerSecond: (passes * parsed.length) / elapsed, tokens: parsed.length, seconds: elapsed }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await child();
