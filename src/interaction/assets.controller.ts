import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Operation } from '../http/openapi.js';
import { Pages } from './pages.js';

const Stylesheet = z.string().meta({ id: 'Stylesheet', description: 'CSS' });

/** The hosted pages' one stylesheet (their CSP allows styles from Tessera only). */
@ApiTags('pages')
@Controller('assets')
export class AssetsController {
  constructor(private readonly pages: Pages) {}

  @Get('tessera.css')
  @Operation({ summary: 'The stylesheet of the login and consent pages', returns: Stylesheet, returnsAs: 'text/css', fails: [] })
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=3600')
  stylesheet(): string {
    return this.pages.stylesheet;
  }
}
