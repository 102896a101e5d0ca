// Aliases shared by every FSH file. Identifier systems match IDENTIFIER_SYSTEMS in src/fhir/canonical.ts.
Alias: $nhs-number = https://fhir.nhs.uk/Id/nhs-number
Alias: $chi = urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53
Alias: $hc-number = https://fhir.nhs.uk/Id/hsc-number
Alias: $ods = https://fhir.nhs.uk/Id/ods-organization-code
Alias: $sct = http://snomed.info/sct
Alias: $task-code = http://hl7.org/fhir/CodeSystem/task-code
