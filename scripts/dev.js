#!/usr/bin/env node
// `npm run start:dev`: Node's watch mode (`--watch-path=src --watch-path=migrations`) runs
// this again after every change, once the previous server has stopped (SIGTERM, so it
// finishes its requests and releases the embedded database): compile what changed, then
// serve. A build error is printed and the next change is awaited.
import { buildIfNeeded } from './build-if-needed.js';

buildIfNeeded();
await import('../dist/src/main.js');
