import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { QUESTIONNAIRES_FSH, renderQuestionnairesFsh } from '../../../scripts/generate-questionnaires-fsh.js';
import { loadConformance } from '../../../src/config/profiles.js';
import { NavbridgeError } from '../../../src/errors/index.js';
import {
  CODE_SYSTEM_IDS,
  codeSystemUrl,
  PROFILES,
  QUESTIONNAIRES,
  valueSetUrl,
} from '../../../src/fhir/canonical.js';
import { ASSESSMENT_TOOLS, DIAGNOSES, PRIORITIES } from '../../../src/records/assessment-tools.js';
import { OUTCOME_MEASURES } from '../../../src/records/codes.js';

const conformance = loadConformance();

describe('generated profiles', () => {
  it('has one snapshot StructureDefinition per PROFILES entry, at its canonical URL', () => {
    const byUrl = new Map(conformance.structureDefinitions.map((sd) => [sd.url, sd]));
    expect([...byUrl.keys()].sort()).toEqual(Object.values(PROFILES).sort());
    for (const [id, url] of Object.entries(PROFILES)) {
      const sd = byUrl.get(url);
      expect(sd?.id).toBe(id);
      expect(sd?.snapshot?.element.length).toBeGreaterThan(0);
    }
  });

  it('has a complete CodeSystem and a ValueSet for every CODE_SYSTEM_IDS entry', () => {
    for (const id of CODE_SYSTEM_IDS) {
      const cs = conformance.codeSystems.find((c) => c.url === codeSystemUrl(id));
      expect(cs?.id, id).toBe(id);
      expect(cs?.content).toBe('complete');
      expect(cs?.concept?.length).toBeGreaterThan(0);
      const vs = conformance.valueSets.find((v) => v.url === valueSetUrl(id));
      expect(vs?.compose?.include).toEqual([{ system: codeSystemUrl(id) }]);
    }
  });

  it('takes need domains, recovery areas, diagnoses and priorities from the assessment tools', () => {
    const codes = (id: (typeof CODE_SYSTEM_IDS)[number]) =>
      conformance.codeSystems.find((c) => c.id === id)?.concept?.map((c) => c.code);
    expect(codes('need-domain')).toEqual(ASSESSMENT_TOOLS.hna.domains.map((d) => d.code));
    expect(codes('wales-recovery-area')).toEqual(
      ASSESSMENT_TOOLS['wales-recovery-plan'].domains.map((d) => d.code),
    );
    expect(codes('diagnosis')).toEqual([...DIAGNOSES]);
    expect(codes('assessment-priority')).toEqual([...PRIORITIES]);
  });

  it('lists the outcome measures the event record allows', () => {
    const cs = conformance.codeSystems.find((c) => c.id === 'outcome-measure');
    expect(cs?.concept?.map((c) => c.code)).toEqual([...OUTCOME_MEASURES]);
  });

  it.each([
    ['referral-route', 10],
    ['business-status', 11],
    ['discharge-reason', 5],
    ['rejection-reason', 6],
    ['flag-category', 5],
    ['contact-method', 6],
    ['communication-category', 3],
    ['event-type', 11],
  ] as const)('CodeSystem %s has %i codes', (id, n) => {
    expect(conformance.codeSystems.find((c) => c.id === id)?.concept).toHaveLength(n);
  });

  it('fails with a config error when the generated directory is missing', () => {
    expect(() => loadConformance('no-such-dir')).toThrow(NavbridgeError);
  });
});

describe('Questionnaires', () => {
  it('the committed questionnaires.fsh is what the generator produces from assessment-tools.ts', () => {
    expect(readFileSync(QUESTIONNAIRES_FSH, 'utf8')).toBe(renderQuestionnairesFsh());
  });

  for (const tool of Object.values(ASSESSMENT_TOOLS)) {
    it(`${tool.id}: linkIds follow the tool definition`, () => {
      const q = conformance.questionnaires.find((x) => x.url === QUESTIONNAIRES[tool.id]);
      expect(q?.id).toBe(tool.id);
      const top = q?.item ?? [];
      expect(top.map((i) => i.linkId)).toEqual([
        'consent',
        'diagnoses',
        'risk-factors',
        ...tool.domains.map((d) => d.code),
      ]);
      expect(top[0]?.item?.map((i) => [i.linkId, i.type, i.required])).toEqual([
        ['consent.confidentiality-discussed', 'boolean', true],
        ['consent.assessment-consent', 'boolean', true],
      ]);
      expect(top[1]).toMatchObject({
        type: 'choice',
        repeats: true,
        answerValueSet: valueSetUrl('diagnosis'),
      });
      for (const domain of tool.domains) {
        const group = top.find((i) => i.linkId === domain.code);
        expect(group).toMatchObject({ type: 'group', required: false, repeats: false });
        expect(group?.item?.map((i) => [i.linkId, i.type])).toEqual([
          [`${domain.code}.need-identified`, 'boolean'],
          [`${domain.code}.priority`, 'choice'],
          [`${domain.code}.notes`, 'text'],
          ...domain.items.map((it) => [`${domain.code}.${it.key}`, it.type]),
        ]);
        for (const item of domain.items.filter((it) => it.type === 'choice')) {
          const def = group?.item?.find((i) => i.linkId === `${domain.code}.${item.key}`);
          expect(def?.answerOption?.map((o) => o.valueCoding?.code)).toEqual(item.options);
        }
      }
    });
  }
});
