// The commissioners' KPI report (README "Reports"): the figures' codes and the Measure that
// GET /api/v1/reports/kpi?_format=fhir reports against (a summary MeasureReport, one group per figure,
// in this order; src/service/report-formats.ts KPI_GROUPS). Breakdowns are stratifiers whose strata
// carry navbridge's record-format codes (route, reason, domain, service type, measure) as text.

CodeSystem: KpiFigure
Id: kpi-figure
Title: "KPI figure"
Description: "The figures of navbridge's KPI report for commissioners of a Mental Health Navigation service."
* insert NavbridgeCodeSystem
* #referrals-received "Referrals received" "Referrals whose service clock starts (receivedAt) on a London date in the period, by referral route."
* #triage-at-receipt "Triage at receipt" "Referrals received, by triage outcome when they arrived: accept, hold (consent to confirm), reject."
* #referral-disposition "Where referrals are now" "Referrals received, by where they are at the report's instant: accepted, held, rejected, withdrawn."
* #rejections "Rejections by reason" "Referrals received and rejected (at triage or by the navigator), by reason."
* #first-contact-within-target "First contact within target" "Share of referrals first contacted within 72 hours (or 3 working days) of receipt."
* #assessment-within-target "Assessment within target" "Share of referrals assessed within 14 days (or 10 working days) of receipt."
* #median-days-referral-to-contact "Median days, referral to first contact" "Median of (first contact - receipt) in days."
* #median-days-contact-to-assessment "Median days, first contact to assessment" "Median of (first assessment - first contact) in days."
* #median-days-assessment-to-discharge "Median days, assessment to discharge" "Median of (discharge - first assessment) in days."
* #median-days-referral-to-discharge "Median days, referral to discharge" "Median of (discharge - receipt) in days."
* #discharges "Discharges by reason" "Referrals received and discharged, by discharge reason."
* #discharged-mutual-agreement "Discharged by mutual agreement" "Share of discharges whose reason is mutual agreement."
* #onward-referrals "Onward referrals by service type" "Onward referrals in the referrals' current support plans, by community service type."
* #distinct-onward-services "Distinct onward services" "Number of distinct community services (name and type) people were referred on to."
* #needs-identified "Needs identified by domain" "People with a need identified in each assessment domain."
* #outcome-change "Outcome measure change" "Per outcome measure: people with two or more scores, and the mean change from first to last score."
* #open-caseload "Open caseload" "Referrals of the site not closed at the report's instant."
* #support-within-target "Support within target length" "Share of discharged referrals whose support (first contact to discharge) lasted no longer than the site's target."

ValueSet: KpiFigureVS
Id: kpi-figure
Title: "KPI figure"
Description: "All KPI figures."
* insert NavbridgeValueSet
* include codes from system KpiFigure

RuleSet: KpiGroup(code, description)
* group[+].code = KpiFigure#{code}
* group[=].description = "{description}"

Instance: navbridge-kpi
InstanceOf: Measure
Usage: #definition
Title: "Mental Health Navigation KPIs"
Description: "What commissioners ask of a Mental Health Navigation service: referrals by route, triage, time to first contact and to assessment, discharges, onward referrals, needs, outcome measures, caseload and support length."
* url = "https://fhir.navbridge.org.uk/Measure/navbridge-kpi"
* name = "NavbridgeKpi"
* title = "Mental Health Navigation KPIs"
* status = #active
* experimental = false
* subjectCodeableConcept = http://hl7.org/fhir/resource-types#Patient
* type = http://terminology.hl7.org/CodeSystem/measure-type#outcome
* improvementNotation = http://terminology.hl7.org/CodeSystem/measure-improvement-notation#increase
* description = "One site over a period of London dates: the cohort is the referrals whose service clock starts in the period (their receivedAt), except those entered in error. Definitions: navbridge README, Reports."
* insert KpiGroup(referrals-received, Referrals received by route)
* insert KpiGroup(triage-at-receipt, Triage outcome at receipt)
* insert KpiGroup(referral-disposition, Accepted / held / rejected / withdrawn now)
* insert KpiGroup(rejections, Rejected by reason)
* insert KpiGroup(first-contact-within-target, % first contact within 72 hours or 3 working days)
* insert KpiGroup(assessment-within-target, % assessed within 14 days or 10 working days)
* insert KpiGroup(median-days-referral-to-contact, Median days from receipt to first contact)
* insert KpiGroup(median-days-contact-to-assessment, Median days from first contact to assessment)
* insert KpiGroup(median-days-assessment-to-discharge, Median days from assessment to discharge)
* insert KpiGroup(median-days-referral-to-discharge, Median days from receipt to discharge)
* insert KpiGroup(discharges, Discharges by reason)
* insert KpiGroup(discharged-mutual-agreement, % of discharges by mutual agreement)
* insert KpiGroup(onward-referrals, Onward referrals by service type)
* insert KpiGroup(distinct-onward-services, Distinct community services referred on to)
* insert KpiGroup(needs-identified, People with a need identified by domain)
* insert KpiGroup(outcome-change, Mean change from first to last score by outcome measure)
* insert KpiGroup(open-caseload, Open caseload)
* insert KpiGroup(support-within-target, % of discharged referrals supported within the target length)
