// The help text: one section per command (`navbridge <command> --help` prints its own), assembled
// into the global usage. README "The navbridge CLI" lists the same commands and exit codes.

/** Exit codes of every command (README "The navbridge CLI" says the same). */
export const EXIT_CODES_HELP =
  'Exit codes: 0 ok, 1 rejected/invalid/failed, 2 usage, file, configuration or start-up error (or an id that names nothing).';

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  map: `  navbridge map <record-type> <input.json|input.csv> [--site S] [--context file.json] [--now ISO]
                [--mappings DIR] [--profiles DIR] [--skip-validation]
      Map records (referral, assessment, support-plan, event) to FHIR: one Bundle per record on
      stdout (NDJSON). A structurally invalid record prints an OperationOutcome on stderr (exit 1).`,
  validate: `  navbridge validate <resource.json> [--profile name|URL] [--profiles DIR] [--json] [--junit FILE]
      Validate a resource or Bundle; prints an OperationOutcome (exit 0 valid, 1 invalid). An unknown
      --profile lists the valid names (exit 2).`,
  mappings: `  navbridge mappings test [--update [--allow-rejection]] [--filter TEXT] [--mappings DIR] [--profiles DIR]
                [--json] [--junit FILE]
      Run every golden example, record and inbound (--update rewrites the expected files; it refuses
      to record an OperationOutcome unless the golden is named *-invalid or *-rejection, or with
      --allow-rejection). Goldens map at GOLDEN_NOW, 2026-03-02T09:00:00Z, unless <name>.context.json
      gives "now".
  navbridge mappings check [--mappings DIR] [--profiles DIR] [--json] [--junit FILE]
      Check every mapping, site override, site.yaml, code table and inbound mapping: expressions
      compile, names, bindings, functions, profiles and codes exist, no disabled function is used, no
      file is misnamed. Each problem as file:line:column with the nearest valid name.`,
  migrate: `  navbridge migrate
      Apply database migrations (also done on start-up by every command that uses the database).`,
  submit: `  navbridge submit <record-type> <file.json|file.csv> [--site S]
      Store, map, route and queue records for delivery (the service behind POST /api/v1/records).`,
  worker: `  navbridge worker
      Run the delivery workers for every configured partner until SIGTERM (finishes in-flight work).`,
  start: `  navbridge start [--port N]
      Run the HTTP API and a delivery worker together in one process. Under a supervisor run
      \`node bin/navbridge.js start\` (not npm start: npm does not pass SIGTERM on).`,
  serve: `  navbridge serve [--port N]
      Run the HTTP API (/health, /admin, /api/v1, /fhir, /api/openapi.json) on PORT (default 8080).`,
  'dead-letters': `  navbridge dead-letters list [--partner P] [--site S] [--reason R] [--from T] [--to T] [--limit N]
                [--nhs-number N] [--correlation-id ID] [--referral-id ID]
  navbridge dead-letters show <exchange-id>
  navbridge dead-letters replay <exchange-id> | replay [filters]   [--remap]
  navbridge dead-letters discard <exchange-id> --reason TEXT
      Inspect and act on dead letters (needs the admin credential in the environment; audited).`,
  records: `  navbridge records list [--state mapping-failed|remapped] [--site S] [--limit N]
  navbridge records remap <id> | remap --site S
      Records and inbound requests kept because their mapping failed; remap re-runs them with the
      current mappings (needs the admin credential; audited).`,
  audit: `  navbridge audit list [--actor A] [--action A] [--resource R] [--outcome O] [--from T] [--to T]
                       [--after SEQ] [--limit N]
  navbridge audit export [filters]
  navbridge audit verify
      The audit trail (needs the admin credential): list rows (NDJSON), export every matching row as
      FHIR AuditEvent resources (NDJSON), verify the hash chain (exit 1 naming the first broken row).`,
  keys: `  navbridge keys generate [ID]
      Print a new master key entry (ID:base64 of 32 random bytes) for NAVBRIDGE_MASTER_KEYS.
  navbridge keys status
  navbridge keys rotate [--batch N]
      Count sealed rows by master key; reseal, in batches while the service runs, every row that is
      plaintext or under a key other than the active one, and fill the report facts of records sealed
      before records.facts existed (admin credential; audited).`,
  prune: `  navbridge prune
      Delete payloads past their retention days (config retention.*): rows, metadata and the audit
      trail are kept (admin credential; audited). Workers also prune every retention.intervalMs.`,
  report: `  navbridge report kpi --site S --from YYYY-MM-DD --to YYYY-MM-DD [--json]
      The commissioners' KPI report of a site over a period of London dates, as a table (or JSON);
      figures defined in README "Reports" (needs the admin credential).`,
  alerts: `  navbridge alerts list [--all] [--json] [--limit N]
      The watchdog's alerts: open ones (or every one with --all), newest first (needs the admin
      credential).`,
  status: `  navbridge status [--json]
      A table per partner: pending, in flight, delivered today, failed, dead, blocked, circuit and
      the age of the oldest undelivered exchange (needs the admin credential).`,
  'hash-key': `  navbridge hash-key < key.txt
      Print the SHA-256 hex digest of a navigator API key read on stdin (for apiKeys[].sha256).`,
};

export const USAGE = `navbridge — FHIR R4 adapter for Mental Health Navigation services

Usage:
${Object.values(COMMAND_HELP).join('\n')}
  navbridge help [command] | navbridge <command> --help | navbridge --version

${EXIT_CODES_HELP}
Environment: NAVBRIDGE_MAPPINGS, NAVBRIDGE_PROFILES (defaults: ./mappings and ./profiles, else the
package's own); for submit/worker/serve/dead-letters: NAVBRIDGE_CONFIG (default navbridge.config.yaml),
DATABASE_URL, REDIS_URL and the secrets the configuration names.
`;
