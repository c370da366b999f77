#!/usr/bin/env node
// `npx golive` / an installed bin: run the TypeScript CLI through tsx.
require('tsx/cjs');
require('./golive.ts');
