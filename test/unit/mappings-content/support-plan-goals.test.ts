// Versioned support plans: every goal keeps one Goal resource across versions, and a goal dropped
// from a later version is re-emitted as cancelled (issue 2 §2: "cancelled, not forgotten").
import type { Goal } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { resourceId, urnUuid } from '../../../src/fhir/ids.js';
import { mapWith, only, SITE, validationErrors } from './helpers.js';

const goal = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  domain: 'benefits',
  description: `Goal ${id}`,
  status,
  steps: [],
  ...extra,
});

const plan = (version: number, goals: unknown[]) => ({
  id: 'PLAN-9',
  version,
  referralId: 'REF-9',
  status: 'active',
  agreedAt: '2026-02-01T10:00:00+00:00',
  navigator: { name: 'Siobhán Ní Bhriain' },
  crisisContacts: [],
  goals,
  onwardReferrals: [],
});

const goalId = (g: string): string => resourceId(SITE.id, 'Goal', 'PLAN-9', g);

describe('support-plan mapping: goals across versions', () => {
  it('gives each goal the same Goal id in every version (never of the version)', async () => {
    const v1 = await mapWith('support-plan', plan(1, [goal('G1', 'proposed'), goal('G2', 'proposed')]));
    const v2 = await mapWith('support-plan', plan(2, [goal('G1', 'in-progress'), goal('G2', 'achieved')]));
    const ids = (b: typeof v1) => only(b, 'Goal').map((g) => g.id);
    expect(ids(v1)).toEqual([goalId('G1'), goalId('G2')]);
    expect(ids(v2)).toEqual(ids(v1));
    expect(only(v2, 'CarePlan')[0]?.id).toBe(only(v1, 'CarePlan')[0]?.id);
  });

  it('maps a goal dropped since the previous version to a cancelled Goal with its old id', async () => {
    const bundle = await mapWith(
      'support-plan',
      plan(2, [goal('G1', 'in-progress'), goal('G3', 'proposed')]),
      {
        previousPlan: {
          version: 1,
          goalIds: ['G1', 'G2', 'G3'],
          goals: [{ id: 'G2', description: 'Llŷr joins the côr 🙂' }],
        },
      },
    );
    expect(validationErrors(bundle)).toEqual([]);
    const goals = only(bundle, 'Goal');
    expect(goals.map((g) => [g.id, g.lifecycleStatus])).toEqual([
      [goalId('G1'), 'active'],
      [goalId('G3'), 'proposed'],
      [goalId('G2'), 'cancelled'],
    ]);
    const dropped = goals[2] as Goal;
    // The previous version's description is kept, Unicode intact.
    expect(dropped.description.text).toBe('Llŷr joins the côr 🙂');
    expect(dropped.identifier?.[0]?.value).toBe('PLAN-9/G2');
    // The CarePlan still lists it, so a partner sees the whole history of the plan.
    const carePlan = only(bundle, 'CarePlan')[0];
    expect(carePlan?.goal?.map((r) => r.reference)).toContain(urnUuid(goalId('G2')));
  });

  it('cancels nothing without a previous version, or when every goal is kept', async () => {
    const first = await mapWith('support-plan', plan(1, [goal('G1', 'proposed')]));
    expect(only(first, 'Goal').map((g) => g.lifecycleStatus)).toEqual(['proposed']);
    const kept = await mapWith('support-plan', plan(2, [goal('G1', 'proposed')]), {
      previousPlan: { version: 1, goalIds: ['G1'], goals: [] },
    });
    expect(only(kept, 'Goal').map((g) => g.lifecycleStatus)).toEqual(['proposed']);
  });

  it('cancels every previous goal when a version has none left', async () => {
    const bundle = await mapWith('support-plan', plan(3, []), {
      previousPlan: { version: 2, goalIds: ['G1', 'G2'], goals: [] },
    });
    const goals = only(bundle, 'Goal');
    expect(goals.map((g) => [g.id, g.lifecycleStatus])).toEqual([
      [goalId('G1'), 'cancelled'],
      [goalId('G2'), 'cancelled'],
    ]);
    // No previous description known: a neutral text, never empty (Goal.description is required).
    expect(goals[0]?.description.text).toBeTruthy();
  });

  it.each([
    ['proposed', 'proposed', undefined],
    ['in-progress', 'active', undefined],
    ['achieved', 'completed', 'achieved'],
    ['not-achieved', 'completed', 'not-achieved'],
    ['cancelled', 'cancelled', undefined],
  ])('goal status %s → lifecycleStatus %s, achievementStatus %s', async (status, lifecycle, achievement) => {
    const bundle = await mapWith(
      'support-plan',
      plan(1, [goal('G1', status, { steps: [{ id: 'S1', description: 'Phone', owner: 'person' }] })]),
    );
    expect(validationErrors(bundle)).toEqual([]);
    const g = only(bundle, 'Goal')[0];
    expect(g?.lifecycleStatus).toBe(lifecycle);
    expect(g?.achievementStatus?.coding?.[0]?.code).toBe(achievement);
    const activity = only(bundle, 'CarePlan')[0]?.activity?.[0]?.detail;
    expect(activity?.goal?.[0]?.reference).toBe(urnUuid(goalId('G1')));
    expect(activity?.status).toBe(
      {
        proposed: 'not-started',
        'in-progress': 'in-progress',
        achieved: 'completed',
        'not-achieved': 'completed',
        cancelled: 'cancelled',
      }[status],
    );
  });

  it('codes a goal domain with the CodeSystem it belongs to', async () => {
    const bundle = await mapWith(
      'support-plan',
      plan(1, [
        goal('G1', 'proposed', { domain: 'work-occupation' }),
        goal('G2', 'proposed', { domain: 'accommodation' }),
      ]),
    );
    const systems = only(bundle, 'Goal').map((g) => g.category?.[0]?.coding?.[0]?.system?.split('/').pop());
    // accommodation is in both; this site uses the HNA, so need-domain.
    expect(systems).toEqual(['wales-recovery-area', 'need-domain']);
  });
});
