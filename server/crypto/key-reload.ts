import type { Logger } from 'pino';
import type { Keyring } from './keyring.ts';
import type { SigningKeys } from './signing-keys.ts';

/**
 * How often a running server looks at its key files (one stat each; SECURITY.md "Keys"). Several servers
 * share the same files (a read-only mount or a secret manager's copy on each host): a rotation made by
 * `vault keys` on one host reaches every server within this interval, or at once on SIGHUP.
 */
export const KEY_RELOAD_INTERVAL_MS = 5_000;

export interface KeyHolders {
  keyring: Keyring;
  signing: SigningKeys;
  logger: Logger;
}

/**
 * Looks at both key files and swaps in whichever changed. A file that cannot be loaded keeps the keys in
 * use and logs one error line naming the file and the problem (never key material); the next look retries.
 */
export function reloadKeysIfChanged(ctx: KeyHolders): { keyring: string; signing: string } {
  const results = { keyring: ctx.keyring.reloadIfChanged(), signing: ctx.signing.reloadIfChanged() };
  for (const [which, r] of Object.entries(results)) {
    if (r.status === 'reloaded') ctx.logger.info({ keys: which }, 'key file changed: new keys loaded');
    if (r.status === 'kept')
      ctx.logger.error(
        { keys: which, problem: r.problem },
        'key file changed but does not load: keeping the keys in use',
      );
  }
  return { keyring: results.keyring.status, signing: results.signing.status };
}

/** Starts the periodic look (unref'd, so it never keeps the process alive) and SIGHUP; returns a stop. */
export function startKeyReload(ctx: KeyHolders, intervalMs = KEY_RELOAD_INTERVAL_MS): () => void {
  const look = () => {
    try {
      reloadKeysIfChanged(ctx);
    } catch (e) {
      ctx.logger.error({ err: e instanceof Error ? e.name : 'unknown' }, 'key reload failed: keeping the keys in use');
    }
  };
  const timer = setInterval(look, intervalMs);
  timer.unref();
  process.on('SIGHUP', look);
  return () => {
    clearInterval(timer);
    process.off('SIGHUP', look);
  };
}
