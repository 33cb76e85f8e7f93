import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's package installs here; used when no chromium is found on PATH. */
const FALLBACK = '/usr/bin/chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The system's Chromium (Debian's `chromium` package): never a downloaded browser build. */
export function chromiumPath(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (executable(join(dir, name))) return join(dir, name);
    }
  }
  if (executable(FALLBACK)) return FALLBACK;
  throw new Error('no Chromium found on PATH: install it with `apt-get install -y chromium` (.ci/run does)');
}

/**
 * Headless Chromium through playwright-core, with a fresh temporary profile (launch()
 * makes one and removes it on close) and nothing that reaches the network on its own.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Keeps a full-page screenshot as `name` in $TESSERA_SCREENSHOTS when it is set (the README's come from there). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const directory = process.env.TESSERA_SCREENSHOTS;
  if (!directory) return;
  mkdirSync(directory, { recursive: true });
  await page.screenshot({ path: join(directory, name), fullPage: true });
}

/** A relying party's redirect URI for browser tests: a page that only says it got a code. */
export interface LandingPage {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  close(): Promise<void>;
}

export async function startLandingPage(): Promise<LandingPage> {
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<p id="done">signed in</p>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
