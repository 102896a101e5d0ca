#!/usr/bin/env node
// Entry point for the `navbridge` CLI: runs the compiled CLI in dist/.
import { main } from '../dist/cli/main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
