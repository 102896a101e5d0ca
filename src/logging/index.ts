// navbridge's logger: pino, JSON, ids only (never patient data, bodies or secrets). Every `err` field is
// serialized to its class, message, code and cause chain (an error logged as `"err":"Error"` said
// nothing), with the stack for internal failures. Cross-cutting like the metrics: any layer that logs
// takes a Logger made here.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface SerializedError {
  /** The error's class (constructor name, else its `name`). */
  type: string;
  message: string;
  /** A system or library code (ECONNREFUSED, a PostgreSQL SQLSTATE, a navbridge error code). */
  code?: string;
  stack?: string;
  cause?: SerializedError | string;
  /** AggregateError members (e.g. every address a connection tried). */
  errors?: (SerializedError | string)[];
}

const MAX_DEPTH = 4;

/** Class, message, code, stack and cause of anything thrown (a non-Error as its text). */
export function serializeError(err: unknown, depth = 0): SerializedError | string {
  if (!(err instanceof Error)) return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  const ctor = (err as { constructor?: { name?: string } }).constructor?.name;
  const type =
    ctor && ctor !== 'Object' ? (ctor === 'Error' && err.name !== 'Error' ? err.name : ctor) : err.name;
  const code = (err as { code?: unknown }).code;
  const out: SerializedError = { type, message: err.message };
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  if (err.stack) out.stack = err.stack;
  if (depth < MAX_DEPTH) {
    if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
    if (err instanceof AggregateError && Array.isArray(err.errors))
      out.errors = err.errors.slice(0, 5).map((e) => serializeError(e, depth + 1));
  }
  return out;
}

export const logSerializers = { err: (e: unknown) => serializeError(e) };

/** The process logger: JSON lines at `level` on stderr (or on `destination`). */
export function createLogger(
  level: LoggerOptions['level'],
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino({ level: level ?? 'info', serializers: logSerializers }, destination);
}
