// One-off check (removed with the hand-written paths): the generated /api/v1 paths equal today's.
import { describe, expect, it } from 'vitest';
import { withOperationIds } from '../../../src/api/openapi/conventions.js';
import { navigator, navigatorPaths } from '../../../src/api/openapi/navigator.js';

describe('generated /api/v1 paths', () => {
  it('equal the hand-written ones (operationIds included)', () => {
    const old = withOperationIds(navigator as Record<string, Record<string, unknown>>);
    const gen = withOperationIds(navigatorPaths as Record<string, Record<string, unknown>>);
    expect(gen).toEqual(old);
    expect(JSON.stringify(gen).length).toBe(JSON.stringify(old).length);
  });
});
