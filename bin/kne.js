#!/usr/bin/env node
// kne, the command line (src/cli). It runs the TypeScript sources through tsx's loader, so a
// clone after `npm ci`, a global install and the image (deploy/Dockerfile) need no build step,
// and the command line runs exactly the code the explorer and the tests run.
import { URL, fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/process.ts');
