#!/usr/bin/env node
// The `navbridge` command: runs the compiled CLI in dist/ (npm run build).
import '../dist/cli/run.js';
