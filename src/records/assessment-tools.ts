// The two needs-assessment tools, as data: the single source for the record schema (which answer
// keys are allowed), the shipped Questionnaires (linkIds) and the assessment mapping.
// linkIds: `<domain>` (group), `<domain>.need-identified`, `<domain>.priority`, `<domain>.notes`,
// `<domain>.<item key>`; plus top-level `consent`, `diagnoses`, `risk-factors`.

export type AnswerType = 'boolean' | 'string' | 'text' | 'choice';

export interface ToolItem {
  key: string;
  text: string;
  type: AnswerType;
  /** For `choice`: the allowed codes (kebab-case). */
  options?: readonly string[];
}

export interface ToolDomain {
  code: string;
  text: string;
  items: readonly ToolItem[];
}

export interface AssessmentToolDefinition {
  id: 'hna' | 'wales-recovery-plan';
  title: string;
  /** CodeSystem id (src/fhir/canonical.ts) whose codes are this tool's domains. */
  domainCodeSystem: 'need-domain' | 'wales-recovery-area';
  domains: readonly ToolDomain[];
}

export const PRIORITIES = ['high', 'medium', 'low'] as const;

const b = (key: string, text: string): ToolItem => ({ key, text, type: 'boolean' });
const t = (key: string, text: string): ToolItem => ({ key, text, type: 'text' });
const s = (key: string, text: string): ToolItem => ({ key, text, type: 'string' });

export const HNA: AssessmentToolDefinition = {
  id: 'hna',
  title: 'Holistic needs assessment (Mental Health Navigation)',
  domainCodeSystem: 'need-domain',
  domains: [
    {
      code: 'accommodation',
      text: 'Accommodation',
      items: [
        s('accommodation-type', 'Type of accommodation'),
        t('housing-needs', 'Housing needs'),
        t('tenancy-issues', 'Tenancy issues'),
        t('local-problems', 'Problems in the local area'),
        t('housing-history', 'Housing history'),
        // The good-practice guide's hint items (optional, like every item).
        s('tenure-status', 'Tenure status (owner, social or private tenant, no fixed abode)'),
      ],
    },
    {
      code: 'benefits',
      text: 'Benefits',
      items: [
        b('eligibility-check', 'Benefits eligibility check wanted'),
        b('help-with-forms', 'Help with forms'),
        b('help-with-correspondence', 'Help with correspondence'),
        b('overpayments', 'Overpayments'),
        b('grants', 'Grants'),
        b('food-parcels', 'Food parcels'),
        b('appointee', 'Has an appointee for benefits'),
        {
          key: 'receiving-all-eligible',
          text: 'Receiving all benefits eligible for?',
          type: 'choice',
          options: ['yes', 'no', 'under-sanction', 'not-applicable'],
        },
      ],
    },
    {
      code: 'finances',
      text: 'Finances and money management',
      items: [
        b('arrears', 'Arrears'),
        b('budgeting', 'Budgeting'),
        b('debts', 'Debts'),
        b('borrowing-lending', 'Borrowing and lending'),
        b('debt-support', 'Wants support with debts (debt advice)'),
      ],
    },
    {
      code: 'physical-health',
      text: 'Physical health',
      items: [
        t('conditions', 'Physical health conditions'),
        b('annual-health-check', 'Annual GP health check done'),
        b('health-check-follow-up', 'Follow-up needed after the annual health check'),
        t('fitness', 'Fitness'),
        t('diet', 'Diet'),
      ],
    },
    {
      code: 'mental-health',
      text: 'Mental health',
      items: [
        t('conditions', 'Mental health conditions'),
        t('therapy', 'Therapy'),
        t('coping-skills', 'Coping skills'),
      ],
    },
    {
      code: 'addictive-behaviours',
      text: 'Addictive behaviours',
      items: [
        b('alcohol', 'Alcohol'),
        b('drugs', 'Drugs'),
        b('gambling', 'Gambling'),
        b('self-harm', 'Self-harm'),
        t('other', 'Other addictive behaviours'),
      ],
    },
    {
      code: 'community-support',
      text: 'Social and professional support in the community',
      items: [
        b('family', 'Family'),
        b('friends', 'Friends'),
        b('unpaid-carer', 'Unpaid carer'),
        b('cpn', 'Community psychiatric nurse'),
        b('cmht', 'Community mental health team'),
        b('floating-support', 'Floating support'),
        b('social-services', 'Social services'),
        b('probation', 'Probation'),
        b('substance-misuse-services', 'Substance misuse services'),
        b('advocacy', 'Advocacy'),
        b('peer-mentoring', 'Peer mentoring'),
      ],
    },
    {
      code: 'training-employment-volunteering',
      text: 'Training, employment and volunteering',
      items: [
        t('training', 'Training'),
        t('employment', 'Employment'),
        t('volunteering', 'Volunteering'),
        t('returning-to-work', 'Returning to work'),
      ],
    },
  ],
};

const recoveryArea = (code: string, text: string): ToolDomain => ({
  code,
  text,
  items: [t('where-i-am-now', 'Where I am now'), t('where-i-want-to-be', 'Where I want to be')],
});

export const WALES_RECOVERY_PLAN: AssessmentToolDefinition = {
  id: 'wales-recovery-plan',
  title: 'Recovery Plan (Wales)',
  domainCodeSystem: 'wales-recovery-area',
  domains: [
    recoveryArea('accommodation', 'Accommodation'),
    recoveryArea('education-training', 'Education and training'),
    recoveryArea('finance-money', 'Finance and money'),
    recoveryArea('medical-treatment', 'Medical and other forms of treatment'),
    recoveryArea('parenting-caring', 'Parenting or caring responsibilities'),
    recoveryArea('personal-care-wellbeing', 'Personal care and physical wellbeing'),
    recoveryArea('social-cultural-spiritual', 'Social, cultural and spiritual'),
    recoveryArea('work-occupation', 'Work and occupation'),
  ],
};

export const ASSESSMENT_TOOLS = { hna: HNA, 'wales-recovery-plan': WALES_RECOVERY_PLAN } as const;

/** The diagnosis tick list shared by both tools. */
export const DIAGNOSES = [
  'anxiety-disorder',
  'bipolar-disorder',
  'psychosis',
  'autism-spectrum',
  'depression',
  'eating-disorder',
  'schizophrenia',
  'dementia',
  'personality-disorder',
  'ptsd',
  'schizoaffective-disorder',
  'other',
] as const;
