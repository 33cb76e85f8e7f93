import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** One line from standard input, or from a hidden prompt when it is a terminal. */
async function readLine(prompt: string, hidden: boolean): Promise<string> {
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
    if (line === undefined) throw new Error('no input on standard input');
    return line;
  } finally {
    rl.close();
  }
}

export function readPassword(): Promise<string> {
  return readLine('password: ', true);
}

export function readSecret(): Promise<string> {
  return readLine('client secret: ', true);
}
