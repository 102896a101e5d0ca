// Process entry point: runs the CLI with the process's streams, environment and signals, and makes
// sure the process ends: SIGTERM/SIGINT stop a long-running command (a second one exits at once), the
// process is gone SHUTDOWN_BOUND_MS after the first signal whatever hangs, and a command that has
// returned (a start-up error included) exits even if a library left a handle open.
// First: V8's memory settings apply to everything loaded after it.
import './v8-start.js';
import { defaultIo, main } from './main.js';

/** After SIGTERM the process exits within this long, whatever is down (README "Operations"). */
export const SHUTDOWN_BOUND_MS = 20_000;
/** A command that has returned exits this long later at the latest (output flushed first). */
const EXIT_LINGER_MS = 1_000;

const stop = new AbortController();
const onSignal = (sig: NodeJS.Signals): void => {
  if (stop.signal.aborted) {
    process.stderr.write(`navbridge: second ${sig}: exiting now\n`);
    process.exit(1);
  }
  stop.abort();
  setTimeout(() => {
    process.stderr.write(`navbridge: shutdown did not finish within ${SHUTDOWN_BOUND_MS} ms: exiting\n`);
    process.exit(1);
  }, SHUTDOWN_BOUND_MS).unref();
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

const code = await main(process.argv.slice(2), { ...defaultIo(), signal: stop.signal });
process.exitCode = code;
setTimeout(() => process.exit(code), EXIT_LINGER_MS).unref();
