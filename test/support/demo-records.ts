// Consistency checks for the demo's records (demo/*.json) and for what the demo delivers: every text
// names only its own person (a discharge letter once greeted another person of the demo), and every
// crisis contact's phone and hours are the site's published ones (mappings/sites/leeds-north/site.yaml).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './processes.js';

export const DEMO_DIR = path.join(REPO_ROOT, 'demo');
const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

export interface DemoPerson {
  file: string;
  nhsNumber: string;
  given: string;
  family: string;
}

export interface CrisisContact {
  name: string;
  phone?: string;
  hours?: string;
}

interface ContainedPatient {
  resourceType: string;
  identifier?: { system?: string; value?: string }[];
  name?: { given?: string[]; family?: string }[];
}

const readJson = (file: string): unknown => JSON.parse(readFileSync(path.join(DEMO_DIR, file), 'utf8'));

/** The person of every referral file the demo sends (demo/trust-*.json). */
export function demoPeople(): DemoPerson[] {
  return readdirSync(DEMO_DIR)
    .filter((f) => f.startsWith('trust-') && f.endsWith('.json'))
    .map((file) => {
      const sr = readJson(file) as { contained?: ContainedPatient[] };
      const patient = sr.contained?.find((r) => r.resourceType === 'Patient');
      const nhsNumber = patient?.identifier?.find((i) => i.system === NHS_SYSTEM)?.value;
      const given = patient?.name?.[0]?.given?.[0];
      const family = patient?.name?.[0]?.family;
      if (!nhsNumber || !given || !family) throw new Error(`${file}: no Patient with NHS number and name`);
      return { file, nhsNumber, given, family };
    });
}

export interface DemoJourney {
  file: string;
  /** The referral file of the journey's person (named in `person`). */
  referralFile: string;
  steps: { recordType: string; record: Record<string, unknown> }[];
}

/** Every navigator journey (demo/navigator-journey*.json) with its person's referral file. */
export function demoJourneys(): DemoJourney[] {
  return readdirSync(DEMO_DIR)
    .filter((f) => f.startsWith('navigator-journey') && f.endsWith('.json'))
    .map((file) => {
      const j = readJson(file) as { person: string; steps: DemoJourney['steps'] };
      const referralFile = /demo\/([\w-]+\.json)/.exec(j.person)?.[1];
      if (!referralFile) throw new Error(`${file}: "person" names no demo/ referral file`);
      return { file, referralFile, steps: j.steps };
    });
}

/** The crisis contacts the site publishes (its crisisPathway). */
export function siteCrisisContacts(site = 'leeds-north'): CrisisContact[] {
  const yaml = parse(readFileSync(path.join(REPO_ROOT, 'mappings', 'sites', site, 'site.yaml'), 'utf8')) as {
    crisisPathway: { contacts: CrisisContact[] };
  };
  return yaml.crisisPathway.contacts;
}

/** What in `text` names a demo person other than `person`, or greets anyone but `person`. */
export function wrongPersonProblems(text: string, person: DemoPerson, people: DemoPerson[]): string[] {
  const problems: string[] = [];
  for (const other of people) {
    if (other.nhsNumber === person.nhsNumber) continue;
    for (const name of [other.given, other.family, other.nhsNumber]) {
      if (text.includes(name))
        problems.push(`names ${name} (${other.file}), not ${person.given} ${person.family}`);
    }
  }
  for (const m of text.matchAll(/\bDear ([^,\n]+),/g)) {
    if (m[1] !== person.given) problems.push(`greets "${m[1]}", not ${person.given} (${person.file})`);
  }
  return problems;
}

// UK numbers as written in the demo's texts: 0113 000 0101, 0800 183 1485, 116 123, 111, 999.
const PHONE = /\b0\d{3,4} \d{3} \d{3,4}\b|\b1\d{2} \d{3}\b|\b(?:111|999)\b/g;

/** [start, end) of every occurrence of a contact name that contains a number ("NHS 111 (…)"). */
function nameSpans(text: string, contacts: CrisisContact[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const c of contacts) {
    if (!c.phone || !c.name.includes(c.phone)) continue;
    for (let i = text.indexOf(c.name); i >= 0; i = text.indexOf(c.name, i + 1))
      spans.push([i, i + c.name.length]);
  }
  return spans;
}

/**
 * Every phone number in `text` that is not one of the site's crisis contacts, and every number given
 * hours in brackets ("0113 000 0101 (every day 6pm–2am)") that are not the contact's published hours.
 */
export function crisisHoursProblems(text: string, contacts: CrisisContact[]): string[] {
  const problems: string[] = [];
  const spans = nameSpans(text, contacts);
  for (const m of text.matchAll(PHONE)) {
    if (spans.some(([a, b]) => m.index >= a && m.index < b)) continue;
    const contact = contacts.find((c) => c.phone === m[0]);
    if (!contact) {
      problems.push(`${m[0]} is not one of the site's crisis contacts`);
      continue;
    }
    const bracket = /^ \(([^)]*)\)/.exec(text.slice(m.index + m[0].length));
    if (bracket && !(contact.hours && bracket[1]?.includes(contact.hours))) {
      problems.push(
        `${contact.name} ${m[0]} is given hours "${bracket[1]}", the site publishes "${contact.hours ?? 'none'}"`,
      );
    }
  }
  return problems;
}

/** Every string value in `value`, depth first (the texts a partner would show). */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** The demo person a landed resource is about: the one whose NHS number it carries (else undefined). */
export function personOf(resource: unknown, people: DemoPerson[]): DemoPerson[] {
  const text = JSON.stringify(resource);
  return people.filter((p) => text.includes(`"${p.nhsNumber}"`));
}
