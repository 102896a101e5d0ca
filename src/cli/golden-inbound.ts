// `navbridge mappings test` for inverse mappings: every mappings/inbound/<name>/examples/<x>.input.json
// is read tolerantly and mapped; the result (or the 400/422 OperationOutcome) is compared with
// <x>.expected.json. `now` and the sending partner come from <x>.context.json, else GOLDEN_NOW and a
// generic trust.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { findInboundGoldens, listInboundMappings, loadInboundMapping } from '../config/inbound-mappings.js';
import { isNavbridgeError } from '../errors/index.js';
import { kindOf, mapInbound, readInbound } from '../intake/index.js';
import { GOLDEN_NOW, type GoldenResult, settleGolden } from './golden.js';
import { describeError, UsageError, usageDetail } from './io.js';

/** The sender when a golden's context names none. */
export const GOLDEN_PARTNER = { id: 'example-trust', name: 'Example Trust', kind: 'trust', odsCodes: [] };

const inboundContextSchema = z
  .object({
    now: z.iso.datetime({ offset: true }).optional(),
    partner: z
      .object({
        id: z.string().min(1),
        name: z.string().min(1),
        kind: z.string().min(1),
        odsCodes: z.array(z.string()),
      })
      .strict()
      .optional(),
  })
  .strict();

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
}

export async function runInboundGoldens(opts: {
  mappingsDir: string;
  update?: boolean;
  allowRejection?: boolean;
  filter?: string;
}): Promise<GoldenResult[]> {
  const out: GoldenResult[] = [];
  const root = path.basename(path.resolve(opts.mappingsDir));
  for (const name of listInboundMappings(opts.mappingsDir)) {
    const goldens = findInboundGoldens(opts.mappingsDir, name)
      .map((g) => ({ ...g, label: `${root}/inbound/${name}/examples/${g.name}` }))
      .filter((g) => !opts.filter || g.label.includes(opts.filter));
    if (goldens.length === 0) continue;
    let mapping: ReturnType<typeof loadInboundMapping>;
    try {
      mapping = loadInboundMapping(opts.mappingsDir, name);
    } catch (err) {
      const { message, detail } = describeError(err);
      for (const g of goldens) out.push({ label: g.label, status: 'failed', detail: [message, ...detail] });
      continue;
    }
    for (const g of goldens) {
      const settle = {
        update: opts.update ?? false,
        allowRejection: opts.allowRejection ?? false,
        label: g.label,
      };
      try {
        const parsed = inboundContextSchema.safeParse(g.context ? readJson(g.context) : {});
        if (!parsed.success)
          throw new UsageError(`${g.context} is not a valid inbound context`, usageDetail(parsed.error));
        const body = readJson(g.input);
        let actual: unknown;
        let rejects = false;
        try {
          const mapped = await mapInbound(
            mapping,
            readInbound(kindOf(body), body),
            parsed.data.partner ?? GOLDEN_PARTNER,
            parsed.data.now ?? GOLDEN_NOW,
          );
          actual = JSON.parse(JSON.stringify(mapped));
        } catch (err) {
          // A 400/422 is the golden's output (a rejection case); a mapping failure is a failed golden.
          if (!isNavbridgeError(err) || err.code === 'MAPPING_ERROR') throw err;
          actual = err.outcome;
          rejects = true;
        }
        out.push(settleGolden(g.name, g.expected, actual, rejects, settle));
      } catch (err) {
        const { message, detail } = describeError(err);
        out.push({ label: g.label, status: 'failed', detail: [message, ...detail] });
      }
    }
  }
  return out;
}
