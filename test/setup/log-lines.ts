import { lines } from './processes.js';

export type LogEntry = Record<string, unknown> & { readonly message?: string; readonly level?: string };

/** Every line of a process's output as JSON; throws, naming the line, at the first one that is not. */
export function jsonLines(output: string): LogEntry[] {
  return lines(output).map((line) => {
    try {
      const entry: unknown = JSON.parse(line);
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not an object');
      return entry as LogEntry;
    } catch {
      throw new Error(`a log line that is not a JSON object: ${line}`);
    }
  });
}

const FRAGMENT = 16;

/**
 * The forms a secret can leak in: itself, its base64 and base64url encodings, and their
 * fragments. Encoded inside something longer (`Basic base64(id:secret)`), the secret's
 * characters fall at any of three alignments: each is encoded, its edges dropped.
 */
function leakForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const add = (text: string) => {
    for (let i = 0; i + FRAGMENT <= text.length; i++) forms.add(text.slice(i, i + FRAGMENT));
  };
  add(secret);
  for (const shift of [0, 1, 2]) {
    const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = bytes.toString(encoding).replace(/=+$/, '');
      if (shift === 0) forms.add(encoded);
      // The first group mixes in the padding bytes, the last one what follows the secret.
      add(encoded.slice(shift === 0 ? 0 : 4, encoded.length - 4));
    }
  }
  return [...forms];
}

/**
 * The secrets (by name) of which any form appears in `output`: the whole value, or any
 * 16-character fragment of it or of its base64/base64url encoding (a shorter secret can
 * only leak whole).
 */
export function leakedSecrets(output: string, secrets: ReadonlyMap<string, string>): string[] {
  const windows = new Set<string>();
  for (let i = 0; i + FRAGMENT <= output.length; i++) windows.add(output.slice(i, i + FRAGMENT));
  const leaked: string[] = [];
  for (const [name, secret] of secrets) {
    const found = leakForms(secret).find((form) => (form.length === FRAGMENT ? windows.has(form) : output.includes(form)));
    if (found !== undefined) leaked.push(`${name} (as ${JSON.stringify(found)})`);
  }
  return leaked;
}
