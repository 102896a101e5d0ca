// Site settings: one navigator service's configuration, from mappings/sites/<site>/site.yaml.
import { z } from 'zod';

const odsCode = z
  .string()
  .regex(/^[A-Z0-9]{3,10}$/, 'must be an ODS code (3–10 upper-case letters or digits)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/**
 * What a crisis contact is: a national or local line, the local crisis team, or a crisis alternative
 * (crisis houses, crisis cafés and "living rooms", host families — with their opening times).
 */
export const CRISIS_CONTACT_KINDS = [
  'national-line',
  'local-line',
  'crisis-team',
  'crisis-house',
  'crisis-cafe',
  'host-family',
  'emergency',
] as const;

export const NON_ENGAGEMENT_LETTER =
  'We are writing because we have not been able to reach you. After your referral to {service}, we ' +
  'tried to contact you several times, by the phone, text message, email or letter details we were ' +
  'given and only in the ways you said were safe, but we could not reach you, so we have closed your ' +
  'referral for now. You are welcome to come back at any time: ask the person who referred you (for ' +
  'example your GP) to refer you to us again.';

export const crisisContactSchema = z
  .object({
    name: z.string().min(1).max(200),
    kind: z.enum(CRISIS_CONTACT_KINDS).optional(),
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
    /**
     * The letter a discharge for non-engagement carries when the navigator wrote none (good-practice
     * guide: say contact was attempted, how, and how to come back). `{service}` is the site's name.
     */
    nonEngagementLetter: z.string().min(1).max(5000).default(NON_ENGAGEMENT_LETTER),
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
