// The demo's records agree with each other and with the site: every text names only its own person
// (Siobhán's discharge letter once greeted Llŷr, the crisis referral's person), and every crisis
// contact carries the site's published phone and hours (the plan once gave a crisis line the crisis
// café's evening hours). test/e2e/demo.test.ts checks the same on what the demo delivered.
import { describe, expect, it } from 'vitest';
import {
  crisisHoursProblems,
  demoJourneys,
  demoPeople,
  siteCrisisContacts,
  stringsOf,
  wrongPersonProblems,
} from '../../support/demo-records.js';

const people = demoPeople();
const contacts = siteCrisisContacts();
const personOfFile = (file: string) => {
  const p = people.find((x) => x.file === file);
  if (!p) throw new Error(`no demo person in ${file}`);
  return p;
};

describe('the demo records', () => {
  it('has three people, each with their own NHS number and name', () => {
    expect(people.map((p) => p.file).sort()).toEqual([
      'trust-crisis-referral.json',
      'trust-referral-no-gp-sharing.json',
      'trust-referral.json',
    ]);
    expect(new Set(people.map((p) => p.nhsNumber)).size).toBe(3);
    expect(new Set(people.map((p) => p.given)).size).toBe(3);
  });

  it.each(demoJourneys().map((j) => [j.file, j] as const))(
    '%s names only its own person, and its letters greet them',
    (_file, journey) => {
      const person = personOfFile(journey.referralFile);
      const letters = journey.steps.flatMap((s) =>
        typeof s.record.letter === 'string' ? [s.record.letter] : [],
      );
      expect(letters.length).toBeGreaterThan(0);
      for (const letter of letters) expect(letter.startsWith(`Dear ${person.given},`)).toBe(true);
      expect(stringsOf(journey.steps).flatMap((t) => wrongPersonProblems(t, person, people))).toEqual([]);
    },
  );

  it('gives crisis contacts only the phone numbers and hours the site publishes', () => {
    for (const journey of demoJourneys()) {
      for (const s of journey.steps) {
        for (const c of (s.record.crisisContacts ?? []) as {
          name: string;
          phone: string;
          hours?: string;
        }[]) {
          const published = contacts.find((x) => x.phone === c.phone);
          expect(published, `${journey.file}: ${c.name} ${c.phone}`).toBeDefined();
          expect({ name: c.name, hours: c.hours }).toEqual({
            name: published?.name,
            hours: published?.hours,
          });
        }
      }
      expect(stringsOf(journey.steps).flatMap((t) => crisisHoursProblems(t, contacts))).toEqual([]);
    }
  });

  it('catches the mistakes it is for (a letter to another person, a crisis line with the café hours)', () => {
    const siobhan = personOfFile('trust-referral.json');
    expect(wrongPersonProblems('Dear Llŷr,\n\nIt has been good working with you.', siobhan, people)).toEqual([
      'names Llŷr (trust-crisis-referral.json), not Siobhán Ní Bhriain',
      'greets "Llŷr", not Siobhán (trust-referral.json)',
    ]);
    expect(crisisHoursProblems('Leeds Crisis Line 0800 183 1485 (6pm–2am)', contacts)).toEqual([
      "0800 183 1485 is not one of the site's crisis contacts",
    ]);
    expect(crisisHoursProblems('Samaritans 116 123 (6pm–2am)', contacts)).toEqual([
      'Samaritans 116 123 is given hours "6pm–2am", the site publishes "24 hours"',
    ]);
    expect(crisisHoursProblems('NHS 111 (mental health option) 111 (24 hours)', contacts)).toEqual([]);
  });
});
