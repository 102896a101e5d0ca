// Site settings: one navigator service's configuration, from mappings/sites/<site>/site.yaml.
import { z } from 'zod';

const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,10}$/, 'must be an ODS code (3–10 upper-case letters or digits)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

export const crisisContactSchema = z
  .object({
    name: z.string().min(1).max(200),
    phone: z.string().max(40).optional(),
    url: z.string().url().optional(),
    hours: z.string().max(200).optional(),
  })
  .strict();

export const siteSettingsSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be a kebab-case site id'),
    name: z.string().min(1).max(200),
    nation: z.enum(['england', 'wales', 'scotland', 'northern-ireland']),
    /** ODS code of the navigator service, when it has one. */
    odsCode: odsCode.optional(),
    /** NHS Directory of Services ids of the service: a BaRS destination naming one selects this site. */
    dosServiceIds: z
      .array(z.string().regex(/^[0-9]{1,20}$/, 'must be a Directory of Services id'))
      .default([]),
    /**
     * BaRS use-case categories the service takes (codes of https://fhir.nhs.uk/CodeSystem/usecases-categories-bars):
     * a message whose ServiceRequest.category names another is refused 422.
     */
    useCaseCategories: z
      .array(z.string().regex(/^[a-z0-9]{1,40}$/, 'must be a BaRS use-case category code such as a4t3'))
      .default([]),
    /** Base of business identifier systems: `${identifierNamespace}/<record-type>`. */
    identifierNamespace: z.string().url(),
    assessmentTool: z.enum(['hna', 'wales-recovery-plan']),
    catchment: z
      .object({
        gpPractices: z.array(odsCode).default([]),
        /** Outward postcode districts, e.g. "LS1", "CF10". */
        postcodeDistricts: z
          .array(z.string().regex(/^[A-Z]{1,2}[0-9][0-9A-Z]?$/, 'must be a postcode district such as LS6'))
          .default([]),
      })
      .strict()
      .default({ gpPractices: [], postcodeDistricts: [] }),
    crisisPathway: z
      .object({
        text: z.string().min(1).max(2000),
        contacts: z.array(crisisContactSchema).min(1),
      })
      .strict(),
    nhsNumberCheck: z
      .object({
        navigator: z.enum(['error', 'warn']).default('error'),
        partner: z.enum(['error', 'warn']).default('warn'),
        /** Test NHS numbers (999…, NHS England's 9… test data): 'refuse' them at a live site. */
        testNumbers: z.enum(['allow', 'refuse']).default('allow'),
      })
      .strict()
      .default({ navigator: 'error', partner: 'warn', testNumbers: 'allow' }),
    serviceClock: z.enum(['calendar', 'working-days']).default('calendar'),
    bankHolidays: z.array(isoDate).default([]),
    /**
     * How long support is meant to last (the KPI report's "support duration against target"): a number
     * of weeks, counted as calendar weeks or as working weeks (5 working days each; weekends and the
     * site's bank holidays skipped). `days` defaults to the site's service clock.
     */
    supportTarget: z
      .object({
        weeks: z.number().int().min(1).max(104),
        days: z.enum(['calendar', 'working-days']).optional(),
      })
      .strict()
      .default({ weeks: 6 }),
  })
  .strict();

export type SiteSettings = z.infer<typeof siteSettingsSchema>;
export type CrisisContact = z.infer<typeof crisisContactSchema>;
