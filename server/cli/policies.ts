import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { checkPolicies } from '../policy/check.ts';
import { cliError, EXIT } from './context.ts';

export function registerPolicyCommands(program: Command): void {
  const policies = program.command('policies').description('Check the mutuality policies in policies/.');
  policies
    .command('check')
    .argument('[dir]', 'the policies directory (default: VAULT_POLICIES_DIR or ./policies)')
    .description(
      'Validate every policy file against its schema, run policies/tests, and report rules without test cases.',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExit code 0 when the set loads and every case passes, 1 otherwise.\n\nExample:\n  npm run vault -- policies check',
    )
    .action((dir: string | undefined, opts: { json?: boolean }) => {
      const r = checkPolicies(dir ?? loadConfig().policiesDir);
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else (r.ok ? process.stdout : process.stderr).write(r.message + '\n');
      if (!r.ok) throw cliError('policy check failed', EXIT.failure, true);
    });
}
