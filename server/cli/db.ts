import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { backupDatabase } from '../db/connection.ts';
import { cliError, EXIT, openCliContext } from './context.ts';
import { createProgress } from '../audit/export/progress.ts';

export function registerDbCommands(program: Command): void {
  program
    .command('migrate')
    .description('Apply the database migrations kept in the repo (the server also does this on start).')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- migrate')
    .action((opts: { json?: boolean }) => {
      const ctx = openCliContext();
      const applied = ctx.db.$client.prepare('select count(*) n from __drizzle_migrations').get() as { n: number };
      ctx.close();
      process.stdout.write(
        opts.json
          ? JSON.stringify({ ok: true, migrations: applied.n }) + '\n'
          : `database is up to date (${applied.n} migrations applied)\n`,
      );
    });

  program
    .command('backup')
    .argument('<file>', 'where to write the backup (a SQLite file)')
    .description('Online backup of the database while the server keeps serving (SQLite backup API).')
    .option('--json', 'print the result as JSON')
    .option('--force', 'overwrite the file if it exists')
    .addHelpText(
      'after',
      `
The backup holds ciphertext and wrapped data keys only; it is useless without the KEK (kek.json or
VAULT_MASTER_KEY), which it does not contain. Keep the two apart.

Example:
  npm run vault -- backup /backups/vault-$(date +%F).db`,
    )
    .action(async (file: string, opts: { json?: boolean; force?: boolean }) => {
      if (existsSync(file) && !opts.force) throw cliError(`${file} exists; pass --force to overwrite it`, EXIT.usage);
      const ctx = openCliContext({ migrate: false });
      const bar = createProgress('backup', null, { unit: 'pages' });
      try {
        await backupDatabase(ctx.db, file, (done, total) => bar.update(done, total));
      } finally {
        bar.stop();
        ctx.close();
      }
      process.stdout.write(opts.json ? JSON.stringify({ ok: true, file }) + '\n' : `backup written to ${file}\n`);
    });
}
