import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { EXIT } from './context.ts';
import { registerKeyCommands } from './keys.ts';
import { registerDbCommands } from './db.ts';
import { registerPolicyCommands } from './policies.ts';
import { registerCompanyCommands } from './companies.ts';
import { registerAuditCommands } from './audit.ts';
import { createAuditAppender } from '../audit/chain/append.ts';
import { systemClock } from '../context.ts';
import { createGrants } from '../grants/service.ts';

/**
 * The operator's and auditor's command line: `npm run vault -- <command>`. Results go to stdout
 * (JSON with --json), errors to stderr, progress bars to stderr on a TTY.
 */
export function buildCli(): Command {
  const program = new Command('vault')
    .description('Operate the consent vault: database, keys, companies, auditors, policies and the audit trail.')
    // afterAll: every command's --help ends with the environment and the exit codes.
    .addHelpText(
      'afterAll',
      `
Environment: VAULT_DATA_DIR (default ./data), VAULT_MASTER_KEY, VAULT_POLICIES_DIR, VAULT_DATABASE_URL (PostgreSQL instead of the SQLite file).
Exit codes: 0 ok, 1 failure, 2 usage error, 3 verification failed, 78 invalid configuration.`,
    )
    .showHelpAfterError()
    .exitOverride();
  registerDbCommands(program);
  registerKeyCommands(program);
  registerPolicyCommands(program);
  // Disabling a company from the CLI revokes its grants exactly as the server would.
  registerCompanyCommands(program, {
    wire: (companies, ctx) => {
      const grants = createGrants(
        { backend: ctx.backend, clock: systemClock },
        createAuditAppender(ctx.backend, () => systemClock.now(), ctx.storage.chain),
      );
      companies.hooks.onDisabled.push(
        async (id, actor) => void (await grants.revokeAllOfCompany(id, actor, 'The company was disabled')),
      );
    },
  });
  registerAuditCommands(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof ConfigError) {
      process.stderr.write(`vault: ${e.message}\n`);
      return EXIT.config;
    }
    if (!(e as { quiet?: boolean }).quiet)
      process.stderr.write(`vault: ${e instanceof Error ? e.message : String(e)}\n`);
    return typeof (e as { exitCode?: unknown }).exitCode === 'number'
      ? (e as { exitCode: number }).exitCode
      : EXIT.failure;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // runCli turns every failure into an exit code, so there is no rejection to handle here.
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
