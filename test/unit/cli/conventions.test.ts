// CLI conventions: --version, `<command> --help` for every command before any configuration is read,
// subcommand mistakes as usage errors, exit codes that help and README agree on, and `validate`'s
// machine output and unknown-profile answer.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HELP, EXIT_CODES_HELP } from '../../../src/cli/usage.js';
import { ROOT, run } from './run.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const cliSection = README.slice(README.indexOf('## The `navbridge` CLI'), README.indexOf('## Mapping guide'));

describe('navbridge --version and --help', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`navbridge ${pkg.version}\n`);
    }
  });

  it('prints each command its own help, exit 0, without any configuration or environment', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'navbridge-noconfig-'));
    for (const command of Object.keys(COMMAND_HELP)) {
      for (const argv of [
        [command, '--help'],
        ['help', command],
      ]) {
        const r = await run(argv, cwd);
        expect(r.code, argv.join(' ')).toBe(0);
        expect(r.stdout, argv.join(' ')).toContain(`navbridge ${command}`);
        expect(r.stdout).toContain(EXIT_CODES_HELP);
        expect(r.stderr).toBe('');
      }
    }
    const unknown = await run(['help', 'mapings']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'mapings' (did you mean 'mappings'?)");
  });

  it('answers a missing or unknown subcommand as a usage error (exit 2) before reading the configuration', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'navbridge-noconfig-'));
    const none = await run(['dead-letters'], cwd);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^navbridge: 'dead-letters' needs a subcommand\n/);
    expect(none.stderr).not.toMatch(/config/i);
    const typo = await run(['records', 'remapp'], cwd);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'records remapp' (did you mean 'remap'?)");
  });

  it('documents the same exit codes and every command in the README', () => {
    expect(cliSection).toContain(EXIT_CODES_HELP);
    for (const command of Object.keys(COMMAND_HELP)) expect(cliSection, command).toContain(`| \`${command}`);
  });
});

describe('navbridge validate: profiles and machine output', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'navbridge-validate-'));

  it('lists the valid profile names for an unknown --profile (exit 2)', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'p.json'), JSON.stringify({ resourceType: 'Patient' }));
    const r = await run(['validate', path.join(d, 'p.json'), '--profile', 'navbridge-patinet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "navbridge: unknown profile 'navbridge-patinet' (did you mean 'navbridge-patient'?)",
    );
    expect(r.stderr).toMatch(/profiles: .*navbridge-patient.*navbridge-referral-task/);
  });

  it('--json gives the issues with their paths; --junit writes a failing testcase for an invalid resource', async () => {
    const d = dir();
    const file = path.join(d, 'task.json');
    writeFileSync(file, JSON.stringify({ resourceType: 'Task', status: 'bogus', intent: 'order' }));
    const junit = path.join(d, 'validate.xml');
    const r = await run([
      'validate',
      file,
      '--profile',
      'navbridge-referral-task',
      '--json',
      '--junit',
      junit,
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      command: string;
      cases: { name: string; status: string; messages: { severity: string; text: string }[] }[];
    };
    expect(report.command).toBe('validate');
    expect(report.cases[0]?.status).toBe('failed');
    expect(
      report.cases[0]?.messages.some((m) => m.severity === 'error' && m.text.startsWith('Task.status')),
    ).toBe(true);
    expect(readFileSync(junit, 'utf8')).toMatch(
      /<testcase classname="navbridge validate" name="[^"]*task\.json">\n\s+<failure /,
    );
  });
});
