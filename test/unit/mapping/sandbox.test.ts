import { describe, expect, it, vi } from 'vitest';
import { isNavbridgeError } from '../../../src/errors/index.js';
import { checkMapping, mapRecord } from '../../../src/mapping/index.js';
import { compile, context, record } from './helpers.js';

// Small limits keep the runaway cases quick; the defaults are larger but of the same kind.
const limits = { timeoutMs: 300, maxDepth: 200, maxSequence: 10_000 };

const single = (expression: string) =>
  compile([{ name: 'patient', resourceType: 'Patient', profile: 'navbridge-patient', expression }], {
    limits,
  });

async function failure(expression: string): Promise<string> {
  try {
    await mapRecord(single(expression), record(), context());
  } catch (err) {
    if (!isNavbridgeError(err)) throw err;
    expect(err.code).toBe('MAPPING_ERROR');
    expect(err.outcome.resourceType).toBe('OperationOutcome');
    expect(err.outcome.issue[0]?.expression).toEqual(['resources[patient].expression']);
    return err.outcome.issue[0]?.diagnostics ?? '';
  }
  throw new Error('expected a MAPPING_ERROR');
}

describe('JSONata sandbox', () => {
  it.each(['eval', 'now', 'millis'])('refuses $%s', async (fn) => {
    const call = fn === 'eval' ? '$eval("1 + 1")' : `$${fn}()`;
    expect(await failure(`{"x": ${call}}`)).toContain(`$${fn}() is disabled in mappings`);
  });

  it('refuses a disabled function passed as a value', async () => {
    expect(await failure('{"x": $map(["1"], $eval)}')).toContain('$eval() is disabled');
  });

  it('stops infinite tail recursion (a loop) with an evaluation limit error', async () => {
    expect(await failure('{"x": ($f := function($x){ $f($x) }; $f(1))}')).toMatch(
      /JSONata D1012 .*evaluation limit/,
    );
  });

  it('stops non-tail runaway recursion by stack depth', async () => {
    expect(await failure('{"x": ($f := function($x){ 1 + $f($x) }; $f(1))}')).toMatch(
      /JSONata D1011 .*evaluation limit/,
    );
  });

  it('stops a huge loop', async () => {
    expect(
      await failure('{"x": $count($map([1..9999], function($i){ $map([1..9999], function($j){ $j }) }))}'),
    ).toMatch(/JSONata D10(11|12) .*evaluation limit/);
  });

  it('refuses to allocate huge sequences', async () => {
    expect(await failure('{"x": $count([1..5000000])}')).toMatch(/JSONata D2015 .*evaluation limit/);
  });

  it('names its time limit in the timeout error', async () => {
    expect(await failure('{"x": ($f := function($x){ $f($x) }; $f(1))}')).toContain(
      `after ${limits.timeoutMs} milliseconds`,
    );
  });

  it('bounds a sequence that grows item by item, not only a range', async () => {
    // 6,000 pairs flatten into one sequence of 12,000 items, pushed one at a time; 4,000 pairs fit.
    expect(await failure('{"x": $count([1..6000].($append($, $)))}')).toMatch(
      /JSONata D2015 .*evaluation limit/,
    );
    const fits = await mapRecord(single('{"x": $count([1..4000].($append($, $)))}'), record(), context());
    expect(JSON.stringify(fits)).toContain('"x":8000');
  });

  it("keeps each evaluation's limits its own when evaluations of one expression interleave", async () => {
    // The same compiled mapping: $n = 0 loops until its time runs out; the other four finish at once.
    const c = single('{"x": ($f := function($i){ $ctx.n = 0 ? $f($i + 1) : $i }; $f(1))}');
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((n) => mapRecord(c, record(), { ...context(), n } as ReturnType<typeof context>)),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const [looped] = outcomes;
    const reason = looped?.status === 'rejected' ? looped.reason : undefined;
    expect(isNavbridgeError(reason) ? reason.outcome.issue[0]?.diagnostics : '').toMatch(
      /JSONata D1012 .*evaluation limit/,
    );
  });

  it('reads the clock once per so many nodes (CLOCK_EVERY_NODES), not at every node', async () => {
    // 3,000 items, each evaluating a binary node and its two operands: at least 9,000 nodes.
    const c = single('{"x": $count([1..3000].($ + 1))}');
    const now = vi.spyOn(Date, 'now');
    try {
      await mapRecord(c, record(), context());
      expect(now.mock.calls.length).toBeGreaterThan(0);
      // Read at every node, it would be called at least 9,000 times.
      expect(now.mock.calls.length).toBeLessThan(9_000 / 8);
    } finally {
      now.mockRestore();
    }
  });

  it('reports a syntax error at compile time with file, field and position', () => {
    try {
      single('{"x": }');
      throw new Error('expected a compile error');
    } catch (err) {
      if (!isNavbridgeError(err)) throw err;
      expect(err.code).toBe('CONFIG_ERROR');
      expect(err.outcome.issue[0]?.diagnostics).toMatch(
        /^mappings\/test\/mapping\.yaml resources\[patient\]\.expression: does not compile: JSONata S\d+ at position \d+/,
      );
    }
  });

  it('mappings check flags uses of disabled functions', () => {
    const c = compile([
      { name: 'patient', resourceType: 'Patient', profile: 'navbridge-patient', expression: '{"x": $now()}' },
      {
        name: 'goal',
        resourceType: 'Goal',
        profile: 'navbridge-goal',
        when: '$millis() > 0',
        expression: '{"y": $map(["a"], $eval)}',
      },
    ]);
    const diags = checkMapping(c).map((i) => i.diagnostics);
    expect(diags).toEqual([
      expect.stringMatching(
        /^mappings\/test\/mapping\.yaml resources\[patient\]\.expression: uses \$now, which is disabled in mappings, at position \d+$/,
      ),
      'mappings/test/mapping.yaml resources[goal].when: uses $millis, which is disabled in mappings, at position 0',
      expect.stringMatching(
        /^mappings\/test\/mapping\.yaml resources\[goal\]\.expression: uses \$eval, which is disabled in mappings, at position \d+$/,
      ),
    ]);
  });
});
