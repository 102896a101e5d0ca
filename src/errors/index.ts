// The error model (ground floor: imports nothing else from src): NavbridgeError with its codes, one
// builder per code, and the one zod → OperationOutcome translator.
export * from './builders.js';
export * from './outcome.js';
export * from './zod.js';
