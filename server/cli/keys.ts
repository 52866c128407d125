import type { Command } from 'commander';
import { SigningKeys } from '../crypto/signing-keys.ts';
import { rotateKeks } from '../customers/key-rotation.ts';
import { cliError, EXIT, openCliContext } from './context.ts';
import { createProgress } from '../audit/export/progress.ts';

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage the key-encryption keys and the token-signing keys.');

  keys
    .command('rotate')
    .description(
      'Add a new KEK, rewrap every customer data key with it, then retire the old KEKs. The server keeps serving.',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- keys rotate')
    .action(async (opts: { json?: boolean }) => {
      const ctx = openCliContext();
      if (ctx.config.masterKey) {
        ctx.close();
        // A rotation adds a file-based KEK: with VAULT_MASTER_KEY that would silently move the key the
        // operator keeps outside the data dir into kek.json, next to the database.
        throw cliError(
          'the KEK comes from VAULT_MASTER_KEY, which this command cannot replace: rotating would store a new KEK in kek.json next to the database. Rotate by rewrapping under a new VAULT_MASTER_KEY offline, or unset it to use file-based KEKs.',
          EXIT.config,
        );
      }
      const bar = createProgress('rewrap data keys', null, { unit: 'keys' });
      try {
        const r = await rotateKeks(ctx.db, ctx.keyring, (done, total) => bar.update(done, total));
        bar.stop();
        process.stdout.write(
          opts.json
            ? JSON.stringify({ ok: true, ...r }) + '\n'
            : `new KEK ${r.newKekId}; ${r.rewrapped} data keys rewrapped; retired ${r.retired.join(', ') || 'none'}\n`,
        );
      } finally {
        bar.stop();
        ctx.close();
      }
    });

  keys
    .command('rotate-signing')
    .description('Add a new token-signing key; the old one stays in the JWKS until tokens it signed have expired.')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- keys rotate-signing')
    .action(async (opts: { json?: boolean }) => {
      const ctx = openCliContext({ migrate: false });
      try {
        const kid = await (await SigningKeys.open(ctx.config.dataDir)).rotate();
        process.stdout.write(
          opts.json
            ? JSON.stringify({ ok: true, kid }) + '\n'
            : `new signing key ${kid}; a running server uses it for new tokens at once and keeps publishing the old one for a day\n`,
        );
      } finally {
        ctx.close();
      }
    });
}
