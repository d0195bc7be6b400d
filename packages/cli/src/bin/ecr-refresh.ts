#!/usr/bin/env node
import module from 'node:module';

// Cache compiled bytecode between runs: start-up matters for a command run every few hours
// by cron and on every container start.
module.enableCompileCache?.();

const { main } = await import('../main.ts');
process.exitCode = await main(process.argv.slice(2));
