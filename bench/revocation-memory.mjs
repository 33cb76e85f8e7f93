// The heap a RevocationView of @tessera/resource-server takes for COUNT revoked sessions.
// Run as `node --expose-gc bench/revocation-memory.mjs [COUNT]`; prints one JSON line.
// Each entry goes through revocationsOf, from the payload of a CAEP session-revoked SET as
// Tessera sends it, parsed from JSON as jose parses it: the strings kept are the ones a
// real feed keeps (randomUUID's own strings hold far more memory than a parsed copy).
import { randomUUID } from 'node:crypto';
import { RevocationView, revocationsOf } from '@tessera/resource-server';

if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
const count = Number(process.argv[2] ?? 100_000);
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

function heap() {
  // Several passes: weak references and finalizers can need more than one.
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

const now = Math.floor(Date.now() / 1000);
const view = new RevocationView({ retention: 3600 });
const before = heap();
for (let i = 0; i < count; i++) {
  const payload = JSON.parse(JSON.stringify({
    sub_id: { format: 'complex', session: { format: 'opaque', id: randomUUID() }, user: { format: 'iss_sub', iss: 'https://tessera.bench.invalid', sub: randomUUID() } },
    events: { [SESSION_REVOKED]: { event_timestamp: now - (i % 600) } },
  }));
  for (const revocation of revocationsOf(payload)) view.revoke(revocation);
}
const after = heap();
if (view.size !== count) throw new Error(`the view holds ${view.size} entries, expected ${count}`);
process.stdout.write(`${JSON.stringify({ entries: count, heapBytes: after - before, bytesPerEntry: (after - before) / count })}\n`);
