// Imported first by run.ts (the process entry point), so that V8 starts compact before any other
// module is loaded (v8-memory.ts).
import { v8Compact } from './v8-memory.js';

v8Compact(process.env);
