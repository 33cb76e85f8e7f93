import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { Operation } from '../http/openapi.js';
import { Pages } from './pages.js';

const Stylesheet = z.string().meta({ id: 'Stylesheet', description: 'CSS' });
const Script = z.string().meta({ id: 'Script', description: 'JavaScript' });

/**
 * @simplewebauthn/browser's own bundle (UMD: it defines `SimpleWebAuthnBrowser`), served as
 * the installed package ships it: the passkey script calls it, no build step in between.
 */
function webauthnBrowserBundle(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(dirname(main)), 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

/** The hosted pages' stylesheet and scripts (their CSP allows styles and scripts from Tessera only). */
@ApiTags('pages')
@Controller('assets')
export class AssetsController {
  private readonly webauthn = webauthnBrowserBundle();

  constructor(private readonly pages: Pages) {}

  @Get('tessera.css')
  @Operation({ summary: 'The stylesheet of the login and consent pages', returns: Stylesheet, returnsAs: 'text/css', fails: [] })
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return this.pages.stylesheet;
  }

  @Get('webauthn.js')
  @Operation({ summary: 'The WebAuthn browser library of the login and account pages (@simplewebauthn/browser)', returns: Script, returnsAs: 'text/javascript', fails: [] })
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  webauthnLibrary(): string {
    return this.webauthn;
  }

  @Get('passkeys.js')
  @Operation({ summary: 'The passkey script of the login and account pages', returns: Script, returnsAs: 'text/javascript', fails: [] })
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  passkeyScript(): string {
    return this.pages.passkeyScript;
  }
}
