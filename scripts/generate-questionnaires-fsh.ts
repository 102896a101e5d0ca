// Generates profiles/input/fsh/questionnaires.fsh from src/records/assessment-tools.ts (the single source
// of both tools): the HNA and Wales Recovery Plan Questionnaires and the CodeSystems/ValueSets they use.
// Usage: tsx scripts/generate-questionnaires-fsh.ts [--check]   (--check exits 1 when the file is stale)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CANONICAL_BASE, codeSystemUrl, QUESTIONNAIRES, valueSetUrl } from '../src/fhir/canonical.js';
import {
  ASSESSMENT_TOOLS,
  type AssessmentToolDefinition,
  DIAGNOSES,
  PRIORITIES,
  type ToolItem,
} from '../src/records/assessment-tools.js';

export const QUESTIONNAIRES_FSH = fileURLToPath(
  new URL('../profiles/input/fsh/questionnaires.fsh', import.meta.url),
);

/** Displays for the diagnosis tick list (DOMAIN.md wording; codes come from DIAGNOSES). */
export const DIAGNOSIS_DISPLAY: Record<(typeof DIAGNOSES)[number], string> = {
  'anxiety-disorder': 'Anxiety disorder',
  'bipolar-disorder': 'Bipolar disorder',
  psychosis: 'Psychosis (without schizophrenia)',
  'autism-spectrum': 'Autism spectrum',
  depression: 'Depression',
  'eating-disorder': 'Eating disorder',
  schizophrenia: 'Schizophrenia',
  dementia: 'Dementia',
  'personality-disorder': 'Personality disorder',
  ptsd: 'Post-traumatic stress disorder (PTSD)',
  'schizoaffective-disorder': 'Schizoaffective disorder',
  other: 'Other',
};

const PRIORITY_DISPLAY: Record<(typeof PRIORITIES)[number], string> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

/** FSH string literal. */
const q = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** "under-sanction" → "Under sanction": display for an answer code that has no text of its own. */
const humanise = (code: string): string => {
  const words = code.replace(/-/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

interface Concept {
  code: string;
  display: string;
}

function codeSystem(name: string, id: string, title: string, description: string, concepts: Concept[]) {
  return [
    `CodeSystem: ${name}`,
    `Id: ${id}`,
    `Title: ${q(title)}`,
    `Description: ${q(description)}`,
    '* insert NavbridgeCodeSystem',
    ...concepts.map((c) => `* #${c.code} ${q(c.display)}`),
    '',
    `ValueSet: ${name}VS`,
    `Id: ${id}`,
    `Title: ${q(title)}`,
    `Description: ${q(`All codes of ${title}.`)}`,
    '* insert NavbridgeValueSet',
    `* include codes from system ${name}`,
    '',
  ];
}

/** Every choice option of every tool item, so each answerOption coding has a CodeSystem. */
function answerConcepts(): Concept[] {
  const codes = new Set<string>();
  for (const tool of Object.values(ASSESSMENT_TOOLS)) {
    for (const domain of tool.domains) {
      for (const item of domain.items) for (const o of item.options ?? []) codes.add(o);
    }
  }
  return [...codes].map((code) => ({ code, display: humanise(code) }));
}

/** Emits `* <prefix>.<field> = <value>` lines for one Questionnaire item (and its children). */
class ItemWriter {
  readonly lines: string[] = [];

  add(prefix: string, fields: Record<string, string | undefined>): void {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) this.lines.push(`* ${prefix}.${key} = ${value}`);
    }
  }

  options(prefix: string, system: string, concepts: readonly Concept[]): void {
    concepts.forEach((c, i) => {
      this.add(`${prefix}.answerOption[${i}].valueCoding`, {
        system: q(system),
        code: `#${c.code}`,
        display: q(c.display),
      });
    });
  }
}

function toolItem(w: ItemWriter, prefix: string, linkId: string, item: ToolItem): void {
  w.add(prefix, { linkId: q(linkId), text: q(item.text), type: `#${item.type}`, required: 'false' });
  if (item.type === 'choice') {
    const concepts = (item.options ?? []).map((code) => ({ code, display: humanise(code) }));
    w.options(prefix, codeSystemUrl('assessment-answer'), concepts);
  }
}

function questionnaire(tool: AssessmentToolDefinition): string[] {
  const w = new ItemWriter();
  w.add('item[0]', {
    linkId: q('consent'),
    text: q('Confidentiality and consent'),
    type: '#group',
    required: 'true',
  });
  w.add('item[0].item[0]', {
    linkId: q('consent.confidentiality-discussed'),
    text: q('Confidentiality discussed'),
    type: '#boolean',
    required: 'true',
  });
  w.add('item[0].item[1]', {
    linkId: q('consent.assessment-consent'),
    text: q('Consent to the assessment'),
    type: '#boolean',
    required: 'true',
  });
  w.add('item[1]', {
    linkId: q('diagnoses'),
    text: q('Diagnoses'),
    type: '#choice',
    required: 'false',
    repeats: 'true',
    answerValueSet: q(valueSetUrl('diagnosis')),
  });
  w.add('item[2]', {
    linkId: q('risk-factors'),
    text: q('Known risk factors'),
    type: '#text',
    required: 'false',
  });
  tool.domains.forEach((domain, d) => {
    const g = `item[${d + 3}]`;
    w.add(g, {
      linkId: q(domain.code),
      text: q(domain.text),
      type: '#group',
      required: 'false',
      repeats: 'false',
    });
    w.add(`${g}.item[0]`, {
      linkId: q(`${domain.code}.need-identified`),
      text: q('Need identified'),
      type: '#boolean',
      required: 'true',
    });
    w.add(`${g}.item[1]`, {
      linkId: q(`${domain.code}.priority`),
      text: q('Priority'),
      type: '#choice',
      required: 'false',
    });
    w.options(
      `${g}.item[1]`,
      codeSystemUrl('assessment-priority'),
      PRIORITIES.map((code) => ({ code, display: PRIORITY_DISPLAY[code] })),
    );
    w.add(`${g}.item[2]`, {
      linkId: q(`${domain.code}.notes`),
      text: q('Notes'),
      type: '#text',
      required: 'false',
    });
    domain.items.forEach((item, i) => {
      toolItem(w, `${g}.item[${i + 3}]`, `${domain.code}.${item.key}`, item);
    });
  });
  return [
    `Instance: ${tool.id}`,
    'InstanceOf: Questionnaire',
    'Usage: #definition',
    `Title: ${q(tool.title)}`,
    `* url = ${q(QUESTIONNAIRES[tool.id])}`,
    `* name = ${q(tool.id === 'hna' ? 'HolisticNeedsAssessment' : 'WalesRecoveryPlan')}`,
    `* title = ${q(tool.title)}`,
    '* status = #active',
    '* subjectType = #Patient',
    ...w.lines,
    '',
  ];
}

export function renderQuestionnairesFsh(): string {
  const { hna, 'wales-recovery-plan': wales } = ASSESSMENT_TOOLS;
  const lines = [
    '// GENERATED by scripts/generate-questionnaires-fsh.ts from src/records/assessment-tools.ts.',
    '// Do not edit: change the TypeScript and run `npm run profiles:build`.',
    `// Canonical base: ${CANONICAL_BASE}`,
    '',
    ...codeSystem(
      'NeedDomain',
      'need-domain',
      'Need domain',
      'The eight topics of the holistic needs assessment (HNA) and referral support needs.',
      hna.domains.map((d) => ({ code: d.code, display: d.text })),
    ),
    ...codeSystem(
      'WalesRecoveryArea',
      'wales-recovery-area',
      'Wales recovery area',
      'The eight areas of the Wales Recovery Plan.',
      wales.domains.map((d) => ({ code: d.code, display: d.text })),
    ),
    ...codeSystem(
      'Diagnosis',
      'diagnosis',
      'Diagnosis',
      "The needs assessment's diagnosis tick list.",
      DIAGNOSES.map((code) => ({ code, display: DIAGNOSIS_DISPLAY[code] })),
    ),
    ...codeSystem(
      'AssessmentPriority',
      'assessment-priority',
      'Assessment priority',
      'Priority of a need identified in a needs assessment.',
      PRIORITIES.map((code) => ({ code, display: PRIORITY_DISPLAY[code] })),
    ),
    ...codeSystem(
      'AssessmentAnswer',
      'assessment-answer',
      'Assessment answer',
      'Answers to the choice items of the needs assessment tools.',
      answerConcepts(),
    ),
    ...questionnaire(hna),
    ...questionnaire(wales),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

function main(): number {
  const text = renderQuestionnairesFsh();
  const current = fs.existsSync(QUESTIONNAIRES_FSH) ? fs.readFileSync(QUESTIONNAIRES_FSH, 'utf8') : '';
  const rel = path.relative(process.cwd(), QUESTIONNAIRES_FSH);
  if (process.argv.includes('--check')) {
    if (current === text) return 0;
    console.error(`${rel} is out of date (run npm run profiles:build)`);
    return 1;
  }
  if (current !== text) fs.writeFileSync(QUESTIONNAIRES_FSH, text);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(main());
}
