// Everything a navbridge process maps and validates with, loaded and compiled once: each enabled
// site's site.yaml, code tables and mappings (base + override, every record type), every inbound
// mapping, and the profiles. A broken file or an enabled site without a folder fails here, at
// start-up, naming file and path — never later as a 500 to a referring trust.
import path from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { configError, isNavbridgeError, issue } from '../errors/index.js';
import { type Conformance, createValidator, type Validator } from '../fhir/validate.js';
import type { CompiledInverseMapping } from '../intake/index.js';
import { type CompiledMapping, mappingVersion } from '../mapping/index.js';
import { RECORD_TYPES, type RecordType } from '../records/index.js';
import type { SiteSettings } from '../settings/site.js';
import { listInboundMappings, loadInboundMapping } from './inbound-mappings.js';
import { listSites, loadMapping, loadSiteSettings } from './mappings.js';
import { loadConformance } from './profiles.js';

/** A compiled mapping and the digest of its sources (stored with each record it maps). */
export interface VersionedMapping {
  readonly compiled: CompiledMapping;
  readonly version: string;
}

/** The mapping material of a process: read-only once built. */
export interface MappingSet {
  /** The enabled sites, in configuration order. */
  readonly sites: readonly string[];
  /** The site's settings; undefined when the site is not enabled here. */
  tryGetSite(id: string): SiteSettings | undefined;
  mapping(recordType: RecordType, siteId: string): VersionedMapping;
  /** An inverse mapping by name; undefined when there is none of that name. */
  tryGetInbound(name: string): CompiledInverseMapping | undefined;
}

/** Runs every loader and reports the problems of all files at once. */
function collect<T>(problems: OperationOutcomeIssue[], load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    problems.push(...err.outcome.issue);
    return undefined;
  }
}

/**
 * Loads the mappings of the enabled sites and every inbound mapping (plus any a partner names), all
 * compiled now. Throws one CONFIG_ERROR listing every problem.
 */
export function loadMappingSet(
  mappingsDir: string,
  sites: readonly string[],
  inboundNames: readonly string[] = [],
): MappingSet {
  const problems: OperationOutcomeIssue[] = [];
  const settings = new Map<string, SiteSettings>();
  const mappings = new Map<string, VersionedMapping>();
  const known = listSites(mappingsDir);
  for (const site of sites) {
    if (!known.includes(site)) {
      problems.push(
        issue({
          code: 'not-found',
          diagnostics: `sites: '${site}' is enabled but mappings/sites/${site}/site.yaml does not exist (sites: ${known.join(', ') || 'none'})`,
          expression: 'sites',
          errorCode: 'CONFIG_ERROR',
        }),
      );
      continue;
    }
    const s = collect(problems, () => loadSiteSettings(mappingsDir, site));
    if (s) settings.set(site, s);
    for (const recordType of RECORD_TYPES) {
      const compiled = collect(problems, () => loadMapping(mappingsDir, recordType, site));
      if (compiled)
        mappings.set(`${recordType}|${site}`, Object.freeze({ compiled, version: mappingVersion(compiled) }));
    }
  }
  const inbound = new Map<string, CompiledInverseMapping>();
  for (const name of new Set([...listInboundMappings(mappingsDir), ...inboundNames])) {
    const m = collect(problems, () => loadInboundMapping(mappingsDir, name));
    if (m) inbound.set(name, m);
  }
  // A base-file problem appears once per site: report each once.
  const unique = [...new Map(problems.map((p) => [p.diagnostics, p])).values()];
  if (unique.length > 0) throw configError(unique);
  const enabled = Object.freeze([...sites]);
  return Object.freeze({
    sites: enabled,
    tryGetSite: (id: string) => settings.get(id),
    mapping(recordType: RecordType, siteId: string): VersionedMapping {
      const m = mappings.get(`${recordType}|${siteId}`);
      if (!m) throw configError(`no ${recordType} mapping for site '${siteId}'`);
      return m;
    },
    tryGetInbound: (name: string) => inbound.get(name),
  });
}

/**
 * Sites and mappings loaded on first use, for the tools that map one file without a configuration
 * (`navbridge map`, golden examples): a broken site breaks only that site's mapping.
 */
export function lazyMappingSet(mappingsDir: string): MappingSet {
  const settings = new Map<string, SiteSettings>();
  const mappings = new Map<string, VersionedMapping>();
  const inbound = new Map<string, CompiledInverseMapping>();
  const sites = Object.freeze(listSites(mappingsDir));
  return Object.freeze({
    sites,
    tryGetSite(id: string): SiteSettings | undefined {
      let s = settings.get(id);
      if (!s) {
        s = loadSiteSettings(mappingsDir, id);
        settings.set(id, s);
      }
      return s;
    },
    mapping(recordType: RecordType, siteId: string): VersionedMapping {
      const key = `${recordType}|${siteId}`;
      let m = mappings.get(key);
      if (!m) {
        const compiled = loadMapping(mappingsDir, recordType, siteId);
        m = Object.freeze({ compiled, version: mappingVersion(compiled) });
        mappings.set(key, m);
      }
      return m;
    },
    tryGetInbound(name: string): CompiledInverseMapping | undefined {
      let m = inbound.get(name);
      if (!m && listInboundMappings(mappingsDir).includes(name)) {
        m = loadInboundMapping(mappingsDir, name);
        inbound.set(name, m);
      }
      return m;
    },
  });
}

export interface LoadedProfiles {
  readonly conformance: Conformance;
  readonly validator: Validator;
}

const profileCache = new Map<string, LoadedProfiles>();

/** The conformance resources and their validator, built once per folder and process (indexing is slow). */
export function loadProfiles(profilesDir: string): LoadedProfiles {
  const key = path.resolve(profilesDir);
  let hit = profileCache.get(key);
  if (!hit) {
    const conformance = loadConformance(key);
    hit = Object.freeze({ conformance, validator: createValidator(conformance) });
    profileCache.set(key, hit);
  }
  return hit;
}
