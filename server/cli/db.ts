import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { backupDatabase } from '../db/connection.ts';
import { migratePostgres } from '../db/pg/migrate.ts';
import { cliError, EXIT, openCliContext, sqliteFileOf } from './context.ts';
import { createProgress } from '../audit/export/progress.ts';

export function registerDbCommands(program: Command): void {
  program
    .command('migrate')
    .description('Apply the database migrations kept in the repo (the server also does this on start).')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
With VAULT_DATABASE_URL=postgres://... it applies the PostgreSQL migrations to that database instead.

Example:
  npm run vault -- migrate`,
    )
    .action(async (opts: { json?: boolean }) => {
      const { databaseUrl } = loadConfig();
      const n = databaseUrl ? await migratePostgres(databaseUrl) : await migrateSqlite();
      const what = databaseUrl ? 'PostgreSQL database' : 'database';
      process.stdout.write(
        opts.json
          ? JSON.stringify({ ok: true, backend: databaseUrl ? 'postgresql' : 'sqlite', migrations: n }) + '\n'
          : `${what} is up to date (${n} migrations applied)\n`,
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
      // Before anything is opened: on PostgreSQL there is no file to copy, and nothing should be made in the data dir.
      if (loadConfig().databaseUrl)
        throw cliError(
          'backup copies the SQLite file; with VAULT_DATABASE_URL back up PostgreSQL with pg_dump or the cluster\'s own backups (README "Storage")',
          EXIT.config,
        );
      if (existsSync(file) && !opts.force) throw cliError(`${file} exists; pass --force to overwrite it`, EXIT.usage);
      const ctx = await openCliContext({ migrate: false });
      const bar = createProgress('backup', null, { unit: 'pages' });
      try {
        const db = sqliteFileOf(ctx, 'back up with pg_dump');
        await backupDatabase(db, file, (done, total) => bar.update(done, total));
      } finally {
        bar.stop();
        await ctx.close();
      }
      process.stdout.write(opts.json ? JSON.stringify({ ok: true, file }) + '\n' : `backup written to ${file}\n`);
    });
}

/** Opens the SQLite vault (which migrates it) and counts the migrations it has applied. */
async function migrateSqlite(): Promise<number> {
  const ctx = await openCliContext();
  try {
    const db = sqliteFileOf(ctx, 'run it without VAULT_DATABASE_URL');
    return (db.$client.prepare('select count(*) n from __drizzle_migrations').get() as { n: number }).n;
  } finally {
    await ctx.close();
  }
}
