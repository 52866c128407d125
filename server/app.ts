import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditAppender } from './audit/store.ts';
import type { AppContext } from './context.ts';
import { createAccounts } from './customers/accounts.ts';
import { createProfile } from './customers/profile.ts';
import { customerRoutes } from './customers/routes.ts';
import { createSessionAuth } from './customers/session-auth.ts';
import { createCustomerStore } from './customers/store.ts';
import { createAppShell } from './http/app.ts';

export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'dist');

/** Builds every service from the context and mounts their routes; main.ts and tests both call this. */
export function createApp(ctx: AppContext, opts: { webRoot?: string } = {}) {
  const audit = createAuditAppender(ctx.db, () => ctx.clock.now());
  const customerStore = createCustomerStore(ctx.db);
  const accounts = createAccounts(ctx, customerStore, audit);
  const profile = createProfile(ctx, customerStore, audit);
  const auth = createSessionAuth(accounts, { secure: ctx.config.secureCookies, publicUrl: ctx.config.publicUrl });

  const shell = createAppShell(ctx, [auth.loadRouter(), customerRoutes(accounts, profile, auth)], opts.webRoot ?? WEB_ROOT);
  const stop = () => {};
  return { ...shell, stop, services: { audit, accounts, profile, auth, customerStore } };
}

export type VaultApp = ReturnType<typeof createApp>;
