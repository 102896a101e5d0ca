// fhir-kit-client logs request headers and response bodies through `debug` when DEBUG names it:
// bodies are patient data, so its namespaces are always switched off.
import createDebug from 'debug';

export function silenceClientDebugLogging(): void {
  const current = process.env.DEBUG ?? '';
  if (!current.includes('fhir-kit-client')) return;
  createDebug.enable(
    current
      .split(/[\s,]+/)
      .filter((ns) => ns && !ns.startsWith('fhir-kit-client'))
      .concat('-fhir-kit-client:*')
      .join(','),
  );
}
