// Profiles for the care the navigator gives: needs assessment (QuestionnaireResponse), support plan
// (CarePlan, Goal), messages to referrers/GPs (Communication) and outcome scores (Observation).
// UK Core-aligned, not UK Core-conformant (see profiles-referral.fsh).

ValueSet: GoalDomain
Id: goal-domain
Title: "Goal domain"
Description: "The domain of a support plan goal: an HNA need domain or a Wales Recovery Plan area."
* insert NavbridgeValueSet
* include codes from system NeedDomain
* include codes from system WalesRecoveryArea

Profile: NavbridgeNeedsAssessment
Parent: QuestionnaireResponse
Id: navbridge-needs-assessment
Title: "navbridge needs assessment"
Description: "A holistic needs assessment (HNA) or Wales Recovery Plan, answering the shipped Questionnaire."
* identifier MS
* basedOn MS
* questionnaire 1..1 MS
* status MS
* subject 1..1 MS
* subject only Reference(Patient)
* authored MS
* author MS
* item MS

Profile: NavbridgeSupportPlan
Parent: CarePlan
Id: navbridge-support-plan
Title: "navbridge support plan"
Description: "The support plan agreed with the person: goals, and steps as activities."
* identifier MS
// R4 CarePlan.basedOn may only reference a CarePlan (an earlier plan); the referral ServiceRequest the
// plan answers is referenced from supportingInfo (Reference(Any)).
* basedOn MS
* supportingInfo MS
* status MS
* intent = #plan
* subject MS
* subject only Reference(Patient)
* period MS
* created MS
* author MS
* goal MS
* goal only Reference(Goal)
* activity MS
* activity.detail MS
* activity.detail.status MS
* activity.detail.description MS
* activity.detail.scheduled[x] MS
* activity.detail.performer MS
* note MS

Profile: NavbridgeGoal
Parent: Goal
Id: navbridge-goal
Title: "navbridge Goal"
Description: "A goal of a support plan, in one need domain or recovery area."
* identifier MS
* lifecycleStatus MS
* achievementStatus MS
* category MS
* category from GoalDomain (required)
* description MS
* subject MS
* subject only Reference(Patient)
* target MS
* target.dueDate MS
* addresses MS
* note MS

Profile: NavbridgeCommunication
Parent: Communication
Id: navbridge-communication
Title: "navbridge Communication"
Description: "A message from the navigator service to the referrer or GP: triage response, escalation or discharge summary."
* identifier MS
* basedOn MS
* status MS
* category MS
* category from CommunicationCategoryVS (required)
* priority MS
* subject MS
* subject only Reference(Patient)
* about MS
* sent MS
* recipient MS
* sender MS
* payload MS

Profile: NavbridgeOutcomeObservation
Parent: Observation
Id: navbridge-outcome-observation
Title: "navbridge outcome observation"
Description: "A score on an outcome measure such as the Recovery Star (scores only: the tools are licensed)."
* identifier MS
* basedOn MS
* status MS
* code MS
* code from OutcomeMeasureVS (required)
* subject 1..1 MS
* subject only Reference(Patient)
* effective[x] 1..1 MS
* effective[x] only dateTime
* value[x] MS
* value[x] only Quantity or integer
* component MS
* component.code from OutcomeMeasureItemVS (required)
* component.value[x] only integer
* performer MS
* note MS
