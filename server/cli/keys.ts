import type { Command } from 'commander';
import { KEY_RELOAD_INTERVAL_MS } from '../crypto/key-reload.ts';
import { SigningKeys } from '../crypto/signing-keys.ts';
import { DEFAULT_SETTLE_MS, rotateKeks, type RotationOptions } from '../customers/key-rotation.ts';
import { cliError, EXIT, openCliContext, type CliContext } from './context.ts';
import { createProgress } from '../audit/export/progress.ts';

/** `keys rotate`: add a KEK, wait for every server to use it, rewrap every data key, retire the old KEKs. */
export async function rotateKekKeys(
  ctx: CliContext,
  onProgress?: (done: number, total: number) => void,
  opts: RotationOptions = {},
) {
  if (ctx.config.masterKey)
    // A rotation adds a file-based KEK: with VAULT_MASTER_KEY that would silently move the key the
    // operator keeps outside the data dir into kek.json, next to the database.
    throw cliError(
      'the KEK comes from VAULT_MASTER_KEY, which this command cannot replace: rotating would store a new KEK in kek.json next to the database. Rotate by rewrapping under a new VAULT_MASTER_KEY offline, or unset it to use file-based KEKs.',
      EXIT.config,
    );
  return rotateKeks(ctx.backend, ctx.keyring, onProgress, opts);
}

/** `keys rotate-signing`: add a signing key; every server publishes it within the reload interval. */
export async function rotateSigningKey(dataDir: string): Promise<string> {
  return (await SigningKeys.open(dataDir)).rotate();
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage the key-encryption keys and the token-signing keys.');

  keys
    .command('rotate')
    .description(
      'Add a new KEK, rewrap every customer data key with it, then retire the old KEKs. The server keeps serving.',
    )
    .option('--json', 'print the result as JSON')
    .option(
      '--settle-seconds <n>',
      'how long to wait for every server to load the new KEK before rewrapping (raise it when a secret manager copies key files to other hosts more slowly)',
      String(DEFAULT_SETTLE_MS / 1000),
    )
    .addHelpText('after', '\nExample:\n  npm run vault -- keys rotate')
    .action(async (opts: { json?: boolean; settleSeconds: string }) => {
      const settleMs = Number(opts.settleSeconds) * 1000;
      if (!Number.isFinite(settleMs) || settleMs < 0)
        throw cliError('--settle-seconds must be a number of seconds, 0 or more', EXIT.usage);
      const ctx = await openCliContext();
      const bar = createProgress('rewrap data keys', null, { unit: 'keys' });
      try {
        const settle = () => new Promise<void>((r) => setTimeout(r, settleMs));
        const r = await rotateKekKeys(ctx, (done, total) => bar.update(done, total), { settle });
        bar.stop();
        process.stdout.write(
          opts.json
            ? JSON.stringify({ ok: true, ...r }) + '\n'
            : `new KEK ${r.newKekId}; ${r.rewrapped} data keys rewrapped; retired ${r.retired.join(', ') || 'none'}\n`,
        );
      } finally {
        bar.stop();
        await ctx.close();
      }
    });

  keys
    .command('rotate-signing')
    .description('Add a new token-signing key; the old one stays in the JWKS until tokens it signed have expired.')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- keys rotate-signing')
    .action(async (opts: { json?: boolean }) => {
      const ctx = await openCliContext({ migrate: false });
      try {
        const kid = await rotateSigningKey(ctx.config.dataDir);
        process.stdout.write(
          opts.json
            ? JSON.stringify({ ok: true, kid }) + '\n'
            : `new signing key ${kid}; running servers sign new tokens with it within ${KEY_RELOAD_INTERVAL_MS / 1000} s (at once on SIGHUP) and keep publishing the old one for a day\n`,
        );
      } finally {
        await ctx.close();
      }
    });
}
