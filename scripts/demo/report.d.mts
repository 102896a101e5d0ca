// Types of report.mjs, for the tests that import it (test/unit/demo/report.test.ts).
/** The fields of a navigator API exchange (GET /api/v1/referrals/{id}) the report reads. */
export interface ReportedExchange {
  id?: string;
  status: string;
  partnerId?: string | null;
  recordType?: string;
  sourceId?: string;
  version?: number;
  statusReason?: string | null;
}
export const STATUS_MEANING: Readonly<Record<string, string>>;
export const UNSETTLED: readonly string[];
export const LANDED_TYPES: readonly string[];
export function countLines(exchanges: readonly ReportedExchange[]): string[];
export function withheldLines(exchanges: readonly ReportedExchange[]): string[];
export function landedResources(baseUrl: string): Promise<{ type: string; url: string }[]>;
