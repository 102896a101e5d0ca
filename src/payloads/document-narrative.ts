// Human-readable Composition sections for document-mode partners (GP systems that only file documents):
// referral status, needs identified, plan goals, onward referrals, discharge, escalation, outcomes.
// Every text from a resource is HTML-escaped; Unicode is kept as it is.
import type {
  CarePlan,
  CodeableConcept,
  Communication,
  CompositionSection,
  Goal,
  Observation,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Resource,
  ServiceRequest,
  Task,
} from 'fhir/r4.js';
import { QUESTIONNAIRES } from '../fhir/canonical.js';
import { ASSESSMENT_TOOLS } from '../records/assessment-tools.js';
import { fullUrlOf, isOnwardReferral, isOnwardTask } from './references.js';

export type DocumentContent = 'summary' | 'full';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const XHTML = 'http://www.w3.org/1999/xhtml';
/** `parts` are already-escaped XHTML fragments. */
const div = (parts: string[]): string => `<div xmlns="${XHTML}">${parts.join('')}</div>`;
const li = (items: string[]): string => `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
const text = (c: CodeableConcept | undefined): string | undefined =>
  c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code;
const e = (s: string | undefined): string => escapeHtml(s ?? '');

interface SectionSpec {
  title: string;
  parts: string[];
  entries: Resource[];
}

function referralStatus(tasks: Task[]): SectionSpec | undefined {
  if (tasks.length === 0) return undefined;
  const items = tasks.map((t) => {
    const business = text(t.businessStatus) ?? t.status;
    const reason = text(t.statusReason);
    return `<b>${e(business)}</b> (task ${e(t.status)})${reason ? `: ${e(reason)}` : ''}${t.lastModified ? `, updated ${e(t.lastModified)}` : ''}`;
  });
  return { title: 'Referral status', parts: [li(items)], entries: tasks };
}

const answerText = (item: QuestionnaireResponseItem | undefined): string | undefined => {
  const a = item?.answer?.[0];
  return a?.valueString ?? a?.valueCoding?.display ?? a?.valueCoding?.code;
};

function needs(qrs: QuestionnaireResponse[], content: DocumentContent): SectionSpec | undefined {
  const items: string[] = [];
  for (const qr of qrs) {
    const tool = Object.entries(QUESTIONNAIRES).find(
      ([, url]) => qr.questionnaire?.split('|')[0] === url,
    )?.[0];
    const domains = tool ? ASSESSMENT_TOOLS[tool as keyof typeof ASSESSMENT_TOOLS]?.domains : undefined;
    for (const group of qr.item ?? []) {
      const child = (suffix: string) => group.item?.find((i) => i.linkId === `${group.linkId}.${suffix}`);
      if (child('need-identified')?.answer?.[0]?.valueBoolean !== true) continue;
      const name = domains?.find((d) => d.code === group.linkId)?.text ?? group.linkId;
      const priority = answerText(child('priority'));
      const notes = content === 'full' ? answerText(child('notes')) : undefined;
      items.push(
        `<b>${e(name)}</b>${priority ? ` (priority: ${e(priority)})` : ''}${notes ? `: ${e(notes)}` : ''}`,
      );
    }
  }
  if (qrs.length === 0) return undefined;
  return {
    title: 'Needs identified',
    parts: [items.length > 0 ? li(items) : '<p>No needs identified.</p>'],
    entries: qrs,
  };
}

function goals(goalList: Goal[], plans: CarePlan[], content: DocumentContent): SectionSpec | undefined {
  if (goalList.length === 0 && plans.length === 0) return undefined;
  const items = goalList.map((g) => {
    const status = text(g.achievementStatus) ?? g.lifecycleStatus;
    const due = g.target?.[0]?.dueDate;
    const steps =
      content === 'full'
        ? plans.flatMap((p) =>
            (p.activity ?? []).flatMap((a) =>
              a.detail?.goal?.some((r) => r.reference === fullUrlOf(g)) && a.detail.description
                ? [`${e(a.detail.description)} (${e(a.detail.status)})`]
                : [],
            ),
          )
        : [];
    return `${e(g.description.text)} — ${e(status)}${due ? `, by ${e(due)}` : ''}${steps.length > 0 ? li(steps) : ''}`;
  });
  const planLines = plans.map(
    (p) => `<p>Support plan ${e(p.status)}${p.period?.end ? `, period ends ${e(p.period.end)}` : ''}.</p>`,
  );
  return {
    title: 'Support plan goals',
    parts: [...planLines, ...(items.length > 0 ? [li(items)] : [])],
    entries: [...plans, ...goalList],
  };
}

function onward(srs: ServiceRequest[], content: DocumentContent): SectionSpec | undefined {
  if (srs.length === 0) return undefined;
  const items = srs.map((sr) => {
    const service = sr.performer?.[0]?.display ?? 'a service';
    const kind = text(sr.code);
    const reason = content === 'full' ? text(sr.reasonCode?.[0]) : undefined;
    return `${e(service)}${kind ? ` (${e(kind)})` : ''}${sr.authoredOn ? `, ${e(sr.authoredOn)}` : ''}${reason ? `: ${e(reason)}` : ''} — ${e(sr.status)}`;
  });
  return { title: 'Onward referrals', parts: [li(items)], entries: srs };
}

const isCategory = (c: Communication, code: string) =>
  (c.category ?? []).some((cc) => (cc.coding ?? []).some((k) => k.code === code));

function communications(title: string, list: Communication[]): SectionSpec | undefined {
  if (list.length === 0) return undefined;
  const paragraphs = list.flatMap((c) => [
    ...(text(c.reasonCode?.[0]) ? [`<p><b>${e(text(c.reasonCode?.[0]))}</b></p>`] : []),
    ...(c.payload ?? []).flatMap((p) =>
      p.contentString ? [`<p>${e(p.contentString).replace(/\r?\n/g, '<br/>')}</p>`] : [],
    ),
  ]);
  return { title, parts: paragraphs, entries: list };
}

function outcomes(obs: Observation[]): SectionSpec | undefined {
  if (obs.length === 0) return undefined;
  const items = obs.map((o) => {
    const value = o.valueQuantity?.value ?? o.valueInteger;
    return `${e(text(o.code))}${value !== undefined ? `: ${e(String(value))}` : ''}${o.effectiveDateTime ? ` (${e(o.effectiveDateTime)})` : ''}`;
  });
  return { title: 'Outcome measures', parts: [li(items)], entries: obs };
}

/**
 * Sections in reading order. `full` lists the resources each section was written from (`entry`);
 * `summary` gives need domains and priorities only (no notes) and no entries.
 */
export function buildSections(
  resources: readonly Resource[],
  content: DocumentContent,
): CompositionSection[] {
  const of = <T extends Resource>(type: string) => resources.filter((r) => r.resourceType === type) as T[];
  const comms = of<Communication>('Communication');
  const specs = [
    // The referral's status; an onward Task is the service referred on to's (listed as onward referral).
    referralStatus(of<Task>('Task').filter((t) => !isOnwardTask(t))),
    needs(of<QuestionnaireResponse>('QuestionnaireResponse'), content),
    goals(of<Goal>('Goal'), of<CarePlan>('CarePlan'), content),
    onward(of<ServiceRequest>('ServiceRequest').filter(isOnwardReferral), content),
    communications(
      'Discharge',
      comms.filter((c) => isCategory(c, 'discharge-summary')),
    ),
    communications(
      'Escalation',
      comms.filter((c) => isCategory(c, 'escalation')),
    ),
    outcomes(of<Observation>('Observation')),
  ];
  return specs.flatMap((s) =>
    s
      ? [
          {
            title: s.title,
            text: {
              status: 'generated' as const,
              div: div(s.parts.length > 0 ? s.parts : ['<p>No details.</p>']),
            },
            ...(content === 'full' ? { entry: s.entries.map((r) => ({ reference: fullUrlOf(r) })) } : {}),
          },
        ]
      : [],
  );
}
