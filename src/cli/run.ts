// Process entry point: runs the CLI with the process's streams, environment and signals.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
