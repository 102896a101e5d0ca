// Profiles for what a referral produces: Patient, the requester's Organization/PractitionerRole, the
// referral ServiceRequest (and onward referrals), the referral Task and risk/communication Flags.
// UK Core-ALIGNED (NHS number, CHI, H&C and ODS identifier systems) but not derived from UK Core: its
// packages cannot be fetched offline, so these profiles claim alignment, not conformance.
// Cardinalities stay at what a navigator record always supplies (no address, phone or NHS number).

Profile: NavbridgePatient
Parent: Patient
Id: navbridge-patient
Title: "navbridge Patient"
Description: "The person referred. Identified by NHS number (England, Wales), CHI (Scotland) or H&C number (Northern Ireland) where known."
* identifier MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "National identifiers, sliced by system"
* identifier contains nhsNumber 0..1 MS and chiNumber 0..1 MS and hcNumber 0..1 MS
* identifier[nhsNumber].system 1..1
* identifier[nhsNumber].system = $nhs-number (exactly)
* identifier[nhsNumber].value 1..1
* identifier[chiNumber].system 1..1
* identifier[chiNumber].system = $chi (exactly)
* identifier[chiNumber].value 1..1
* identifier[hcNumber].system 1..1
* identifier[hcNumber].system = $hc-number (exactly)
* identifier[hcNumber].value 1..1
* name 1..* MS
* birthDate MS
* telecom MS
* address MS
* communication MS
* generalPractitioner MS

Profile: NavbridgeOrganization
Parent: Organization
Id: navbridge-organization
Title: "navbridge Organization"
Description: "A referring organisation or onward service, with its ODS code where it has one."
* identifier MS
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "ODS code, sliced by system"
* identifier contains odsCode 0..1 MS
* identifier[odsCode].system 1..1
* identifier[odsCode].system = $ods (exactly)
* identifier[odsCode].value 1..1
* name 1..1 MS
* type MS
* telecom MS

Profile: NavbridgePractitionerRole
Parent: PractitionerRole
Id: navbridge-practitioner-role
Title: "navbridge PractitionerRole"
Description: "The referrer (name, role, organisation and contact details)."
* identifier MS
* practitioner MS
* organization MS
* organization only Reference(Organization)
* code MS
* telecom MS

Profile: NavbridgeReferral
Parent: ServiceRequest
Id: navbridge-referral
Title: "navbridge referral"
Description: "A referral into a Mental Health Navigation service (Gravity-style closed-loop referral)."
* identifier 1..* MS
* status MS
* intent MS
* category MS
* code 1..1 MS
* code from ReferralCode (extensible)
* orderDetail MS
* orderDetail from NeedDomainVS (required)
* orderDetail ^short = "Support needed: need domains"
* subject MS
* subject only Reference(Patient)
* authoredOn MS
* requester MS
* requester only Reference(PractitionerRole or Organization or Practitioner)
* performer MS
* reasonCode MS
* reasonReference MS
* note MS
* supportingInfo MS
* replaces MS

Profile: NavbridgeOnwardReferral
Parent: ServiceRequest
Id: navbridge-onward-referral
Title: "navbridge onward referral"
Description: "A referral the navigator makes to a community service as part of a support plan, based on the original referral."
* identifier 1..* MS
* status MS
* intent = #filler-order
* basedOn 1..* MS
* basedOn only Reference(ServiceRequest or CarePlan)
* code MS
* subject MS
* subject only Reference(Patient)
* authoredOn MS
* requester MS
* performer MS
* reasonCode MS
* note MS

Profile: NavbridgeReferralTask
Parent: Task
Id: navbridge-referral-task
Title: "navbridge referral Task"
Description: "The navigator's status of a referral (HL7 Gravity referral-management Task)."
* identifier 1..* MS
* status MS
* businessStatus MS
* businessStatus from BusinessStatusVS (required)
* statusReason MS
* statusReason from RejectionReasonVS (extensible)
* intent = #order
* code 1..1 MS
* code = $task-code#fulfill
* focus 1..1 MS
* focus only Reference(ServiceRequest)
* for 1..1 MS
* for only Reference(Patient)
* authoredOn MS
* lastModified MS
* requester MS
* owner MS
* note MS
* output MS
* output.type from TaskOutputVS (required)
* output.value[x] only Reference(CarePlan or Goal or ServiceRequest)

Profile: NavbridgeOnwardTask
Parent: Task
Id: navbridge-onward-task
Title: "navbridge onward referral Task"
Description: "The Task of an onward referral (HL7 Gravity SDOH Clinical Care, coordination platform): the request to the service referred on to, focused on the onward ServiceRequest and partOf the referral Task."
* identifier 1..* MS
* status MS
* statusReason MS
* partOf 1..* MS
* partOf only Reference(Task)
* intent = #order
* code 1..1 MS
* code = $task-code#fulfill
* focus 1..1 MS
* focus only Reference(ServiceRequest)
* for 1..1 MS
* for only Reference(Patient)
* authoredOn 1..1 MS
* requester MS
* owner MS

Profile: NavbridgeFlag
Parent: Flag
Id: navbridge-flag
Title: "navbridge Flag"
Description: "A declared risk or communication need the navigator must know before contact."
* identifier MS
* status MS
* category 1..* MS
* category from FlagCategoryVS (required)
* code MS
* subject MS
* subject only Reference(Patient)
* period MS
* author MS
