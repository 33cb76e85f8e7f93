import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './arguments.js';

/** One line from standard input, or from a hidden prompt when it is a terminal; undefined when it ends first. */
async function readLine(prompt: string, hidden: boolean): Promise<string | undefined> {
  const tty = process.stdin.isTTY === true;
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: tty ? output : undefined, terminal: tty });
  try {
    if (tty) {
      process.stderr.write(prompt);
      muted = hidden;
    }
    const line = await new Promise<string | undefined>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(undefined));
    });
    if (tty) process.stderr.write('\n');
    return line;
  } finally {
    rl.close();
  }
}

export async function readPassword(): Promise<string> {
  const line = await readLine('password: ', true);
  if (line === undefined) {
    throw new UsageError('no password: set TESSERA_PASSWORD, or give it at the prompt or as one line on standard input');
  }
  return line;
}

export async function readSecret(): Promise<string> {
  const line = await readLine('client secret: ', true);
  if (line === undefined) throw new UsageError('no secret on standard input (--secret-stdin reads one line from it)');
  return line;
}
