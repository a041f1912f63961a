#!/usr/bin/env node
// The `openwaba` command. Runs the TypeScript sources through tsx, so a checkout needs no build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
