// The CapabilityStatement's `messaging`: navbridge receives BaRS messages at $process-message and
// names the MessageDefinitions it checks them against (served at GET /MessageDefinition).
import type { CapabilityStatementMessaging } from 'fhir/r4.js';
import { BARS_CORE_VERSION, SUPPORTED_DEFINITIONS } from '../../intake/index.js';

export function barsMessaging(baseUrl: string): CapabilityStatementMessaging[] {
  return [
    {
      endpoint: [
        {
          protocol: { system: 'http://terminology.hl7.org/CodeSystem/message-transport', code: 'http' },
          address: `${baseUrl}/$process-message`,
        },
      ],
      documentation: `BaRS Core ${BARS_CORE_VERSION} receiver: Bundle.meta.versionId 1.x, MessageHeader.destination a DoS id of a site here, the named MessageDefinition checked`,
      supportedMessage: SUPPORTED_DEFINITIONS.map((d) => ({ mode: 'receiver' as const, definition: d.url })),
    },
  ];
}
