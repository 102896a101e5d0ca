// Partner answers as the store keeps them: short (a few KB at most) and, like every value that can
// hold patient data, sealed (store/sealing.ts). Avoids the message store that only grows.
import type { OperationOutcome } from 'fhir/r4.js';

/** The sealing context of partner answers (exchange_attempts.response). */
export const ATTEMPT_RESPONSE = 'exchange_attempts.response';
/**
 * A partner's answer is kept for diagnosis up to this many characters of its JSON text: an error
 * answer may echo the whole request (patient data), and the store must not grow with partners' bodies.
 */
export const RESPONSE_KEEP_CHARS = 4_096;

/** The answer as kept: whole when small, else its first RESPONSE_KEEP_CHARS characters, marked truncated. */
export function keptResponse(response: unknown): unknown {
  if (response === undefined || response === null) return null;
  const text = JSON.stringify(response);
  if (text.length <= RESPONSE_KEEP_CHARS) return response;
  return { truncated: true, length: text.length, text: text.slice(0, RESPONSE_KEEP_CHARS) };
}

/** Longest diagnostics text kept per issue of a partner's OperationOutcome when it is too long. */
const DIAGNOSTICS_KEEP_CHARS = 512;

/**
 * A failure's OperationOutcome as kept (the partner's own, often): whole when its JSON fits in
 * RESPONSE_KEEP_CHARS, else issues with shortened diagnostics while they fit, and an issue saying so.
 */
export function keptOutcome(oo: OperationOutcome): OperationOutcome {
  const text = JSON.stringify(oo);
  if (text.length <= RESPONSE_KEEP_CHARS) return oo;
  const kept: OperationOutcome['issue'] = [];
  let size = 200;
  for (const i of oo.issue ?? []) {
    const short = {
      severity: i.severity,
      code: i.code,
      // The coded part (e.g. a BaRS error code) is kept; free text is cut short.
      ...(i.details?.coding ? { details: { coding: i.details.coding.slice(0, 3) } } : {}),
      ...(i.diagnostics ? { diagnostics: i.diagnostics.slice(0, DIAGNOSTICS_KEEP_CHARS) } : {}),
      ...(i.expression ? { expression: i.expression.slice(0, 5).map((e) => e.slice(0, 200)) } : {}),
    };
    const n = JSON.stringify(short).length;
    if (size + n > RESPONSE_KEEP_CHARS) break;
    size += n;
    kept.push(short);
  }
  kept.push({
    severity: 'information',
    code: 'too-long',
    diagnostics: `truncated: the partner's answer was ${text.length} characters`,
  });
  return { resourceType: 'OperationOutcome', issue: kept };
}
