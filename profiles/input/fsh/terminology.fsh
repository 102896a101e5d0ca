// navbridge CodeSystems (ids = CODE_SYSTEM_IDS in src/fhir/canonical.ts), each with a ValueSet of the
// same id holding all its codes. Codes derived from src/records/assessment-tools.ts (need domains, Wales
// recovery areas, diagnoses, assessment answers) are generated into questionnaires.fsh instead.

RuleSet: NavbridgeCodeSystem
* ^status = #active
* ^experimental = false
* ^caseSensitive = true
* ^content = #complete

RuleSet: NavbridgeValueSet
* ^status = #active
* ^experimental = false

CodeSystem: ReferralRoute
Id: referral-route
Title: "Referral route"
Description: "Who referred the person to the navigator service."
* insert NavbridgeCodeSystem
* #gp "GP"
* #practice-nurse "Practice nurse"
* #social-prescriber "Social prescriber"
* #cmht "Community mental health team"
* #crisis-team "Crisis resolution team"
* #admissions-ward "Hospital admissions ward"
* #cpn "Community psychiatric nurse"
* #mental-health-practitioner "Mental health practitioner"
* #self "Self-referral"
* #other "Other"

ValueSet: ReferralRouteVS
Id: referral-route
Title: "Referral route"
Description: "All referral routes."
* insert NavbridgeValueSet
* include codes from system ReferralRoute

CodeSystem: BusinessStatus
Id: business-status
Title: "Referral business status"
Description: "Where a referral is in the navigator's process (Task.businessStatus)."
* insert NavbridgeCodeSystem
* #accepted "Accepted"
* #consent-to-confirm "Consent to be confirmed"
* #contact-attempted "Contact attempted"
* #contacted "Contacted"
* #assessment-completed "Assessment completed"
* #plan-agreed "Support plan agreed"
* #escalated "Escalated to the clinical referrer"
* #discharged "Discharged"
* #rejected "Rejected"
* #withdrawn "Withdrawn by the referrer"
* #entered-in-error "Entered in error"

ValueSet: BusinessStatusVS
Id: business-status
Title: "Referral business status"
Description: "All referral business statuses."
* insert NavbridgeValueSet
* include codes from system BusinessStatus

CodeSystem: DischargeReason
Id: discharge-reason
Title: "Discharge reason"
Description: "Why the navigator service discharged the person."
* insert NavbridgeCodeSystem
* #mutual-agreement "Mutual agreement"
* #non-engagement "Did not engage"
* #moved-away "Moved away"
* #escalated-to-clinical-care "Escalated to clinical care"
* #other "Other"

ValueSet: DischargeReasonVS
Id: discharge-reason
Title: "Discharge reason"
Description: "All discharge reasons."
* insert NavbridgeValueSet
* include codes from system DischargeReason

CodeSystem: RejectionReason
Id: rejection-reason
Title: "Rejection reason"
Description: "Why a referral was rejected or ended without service (Task.statusReason)."
* insert NavbridgeCodeSystem
* #in-crisis "Person is in crisis: use the crisis pathway"
* #no-consent "Consent to referral refused"
* #out-of-area "Outside the service's catchment"
* #not-eligible "Not eligible"
* #other "Other"
* #withdrawn-by-referrer "Withdrawn by the referrer"

ValueSet: RejectionReasonVS
Id: rejection-reason
Title: "Rejection reason"
Description: "All rejection reasons."
* insert NavbridgeValueSet
* include codes from system RejectionReason

CodeSystem: FlagCategory
Id: flag-category
Title: "Flag category"
Description: "What a navbridge Flag warns about."
* insert NavbridgeCodeSystem
* #risk-to-self "Risk to self"
* #risk-to-others "Risk to others"
* #communication-need "Communication need (Accessible Information Standard)"
* #interpreter-needed "Interpreter needed"
* #safe-contact "Safe contact restrictions"

ValueSet: FlagCategoryVS
Id: flag-category
Title: "Flag category"
Description: "All flag categories."
* insert NavbridgeValueSet
* include codes from system FlagCategory

CodeSystem: ContactMethod
Id: contact-method
Title: "Contact method"
Description: "How the navigator contacted, or tried to contact, the person."
* insert NavbridgeCodeSystem
* #phone "Phone"
* #text "Text message"
* #email "Email"
* #letter "Letter"
* #in-person "In person"
* #video "Video call"

ValueSet: ContactMethodVS
Id: contact-method
Title: "Contact method"
Description: "All contact methods."
* insert NavbridgeValueSet
* include codes from system ContactMethod

CodeSystem: CommunicationCategory
Id: communication-category
Title: "Communication category"
Description: "Kinds of message the navigator service sends to referrers and GPs."
* insert NavbridgeCodeSystem
* #discharge-summary "Discharge summary"
* #escalation "Escalation to the clinical referrer"
* #triage-response "Triage response"

ValueSet: CommunicationCategoryVS
Id: communication-category
Title: "Communication category"
Description: "All communication categories."
* insert NavbridgeValueSet
* include codes from system CommunicationCategory

CodeSystem: OutcomeMeasure
Id: outcome-measure
Title: "Outcome measure"
Description: "Outcome measures whose scores are recorded (the tools' items are licensed and not shipped)."
* insert NavbridgeCodeSystem
* #recovery-star "Recovery Star"
* #wemwbs "Warwick-Edinburgh Mental Wellbeing Scale"
* #swemwbs "Short Warwick-Edinburgh Mental Wellbeing Scale"
* #core-10 "CORE-10"
* #phq-9 "PHQ-9"
* #gad-7 "GAD-7"
* #ons4 "ONS personal well-being (ONS4)"
* #reqol-10 "Recovery Quality of Life (ReQoL-10)"
* #dialog "DIALOG"
* #other "Other"

ValueSet: OutcomeMeasureVS
Id: outcome-measure
Title: "Outcome measure"
Description: "All outcome measures."
* insert NavbridgeValueSet
* include codes from system OutcomeMeasure

CodeSystem: OutcomeMeasureItem
Id: outcome-measure-item
Title: "Outcome measure item"
Description: "The parts of an outcome measure scored one by one (Observation.component): the Recovery Star's ten areas (1–10), ONS4's four questions (0–10), DIALOG's eight life domains and three treatment aspects (1–7). Codes are <measure>.<part>; labels only, the instruments' wording is not shipped."
* insert NavbridgeCodeSystem
* #recovery-star.managing-mental-health "Managing mental health"
* #recovery-star.physical-health-self-care "Physical health and self-care"
* #recovery-star.living-skills "Living skills"
* #recovery-star.social-networks "Social networks"
* #recovery-star.work "Work"
* #recovery-star.relationships "Relationships"
* #recovery-star.addictive-behaviour "Addictive behaviour"
* #recovery-star.responsibilities "Responsibilities"
* #recovery-star.identity-self-esteem "Identity and self-esteem"
* #recovery-star.trust-hope "Trust and hope"
* #ons4.life-satisfaction "Life satisfaction"
* #ons4.worthwhile "Things done in life are worthwhile"
* #ons4.happiness "Happiness yesterday"
* #ons4.anxiety "Anxiety yesterday"
* #dialog.mental-health "Mental health"
* #dialog.physical-health "Physical health"
* #dialog.job-situation "Job situation"
* #dialog.accommodation "Accommodation"
* #dialog.leisure-activities "Leisure activities"
* #dialog.friendships "Friendships"
* #dialog.partner-family "Relationship with partner or family"
* #dialog.personal-safety "Personal safety"
* #dialog.medication "Medication"
* #dialog.practical-help "Practical help received"
* #dialog.meetings-with-professionals "Meetings with mental health professionals"

ValueSet: OutcomeMeasureItemVS
Id: outcome-measure-item
Title: "Outcome measure item"
Description: "All outcome measure items."
* insert NavbridgeValueSet
* include codes from system OutcomeMeasureItem

CodeSystem: TaskOutput
Id: task-output
Title: "Referral Task output"
Description: "What a completed referral Task hands back (HL7 Gravity: the coordination platform's resulting activities): the support plan, the goals achieved, the onward referrals made."
* insert NavbridgeCodeSystem
* #support-plan "Support plan"
* #goal-achieved "Goal achieved"
* #onward-referral "Onward referral made"

ValueSet: TaskOutputVS
Id: task-output
Title: "Referral Task output"
Description: "All referral Task outputs."
* insert NavbridgeValueSet
* include codes from system TaskOutput

CodeSystem: EventType
Id: event-type
Title: "Event type"
Description: "Navigator-side event record types."
* insert NavbridgeCodeSystem
* #accepted "Accepted"
* #contact-attempted "Contact attempted"
* #contacted "Contacted"
* #assessment-completed "Assessment completed"
* #plan-agreed "Support plan agreed"
* #escalated "Escalated"
* #outcome-recorded "Outcome recorded"
* #discharged "Discharged"
* #rejected "Rejected"
* #withdrawn "Withdrawn"
* #entered-in-error "Entered in error"

ValueSet: EventTypeVS
Id: event-type
Title: "Event type"
Description: "All event types."
* insert NavbridgeValueSet
* include codes from system EventType

CodeSystem: OnwardServiceType
Id: onward-service-type
Title: "Onward service type"
Description: "The kind of community service an onward referral goes to (ServiceRequest.code of an onward referral)."
* insert NavbridgeCodeSystem
* #counselling "Counselling"
* #debt-advice "Debt advice"
* #benefits-advice "Benefits advice"
* #housing "Housing support"
* #physical-activity "Physical activity"
* #peer-support-group "Peer support group"
* #social-group "Social group"
* #befriending "Befriending"
* #volunteering "Volunteering"
* #employment-support "Employment support"
* #education "Education"
* #substance-misuse "Substance misuse service"
* #carers-support "Carers' support"
* #other "Other"

ValueSet: OnwardServiceTypeVS
Id: onward-service-type
Title: "Onward service type"
Description: "All onward service types."
* insert NavbridgeValueSet
* include codes from system OnwardServiceType

ValueSet: ReferralCode
Id: referral-code
Title: "Referral code"
Description: "What a navbridge referral asks for. SNOMED CT only where verified."
* insert NavbridgeValueSet
* $sct#871731000000106 "Referral to social prescribing service"
