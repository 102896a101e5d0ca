// Public surface of the mapping engine (pure: no I/O, no clock).

export { type CheckMappingOptions, checkMapping } from './check.js';
export { type CodeTables, lookupCode, mergeCodeTables, resolveSystem } from './code-tables.js';
export {
  type CompiledMapping,
  type CompiledResource,
  compileMapping,
  configFileIssues,
  type MappingSources,
  mappingVersion,
  type SourceFile,
} from './compile.js';
export {
  type ContextFile,
  contextFileSchema,
  defaultContext,
  type MappingContext,
  mappingContextSchema,
  patientIdentifiers,
  type ReferralIdentity,
} from './context.js';
export {
  type MappableRecord,
  type MappedBundle,
  mapRecord,
  mapRecordTraced,
  type ResourceIdentity,
} from './engine.js';
export {
  type PipelineDeps,
  type PipelineInput,
  type PipelineResult,
  type PipelineTrace,
  runMappingPipeline,
  traceMappingPipeline,
} from './pipeline.js';
export { DEFAULT_LIMITS, DISABLED_FUNCTIONS, type ExpressionOrigin, type SandboxLimits } from './sandbox.js';
