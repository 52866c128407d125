import type { Command } from 'commander';
import { createAuditAppender } from '../audit/chain/append.ts';
import { systemClock } from '../context.ts';
import { createCompanies, type Companies } from '../companies/service.ts';
import type { Company } from '../companies/types.ts';
import { cliError, EXIT, openCliContext, type CliContext } from './context.ts';

export interface CompanyCommandOptions {
  /**
   * Lets the caller register the same hooks the server registers (for example, the grants module
   * revoking a disabled company's grants), so a `companies disable` from the CLI has the same effect.
   */
  wire?: (companies: Companies, ctx: CliContext) => void;
}

async function withCompanies<T>(opts: CompanyCommandOptions, fn: (companies: Companies) => T | Promise<T>): Promise<T> {
  const ctx = await openCliContext();
  try {
    const { backend, storage } = ctx;
    const audit = createAuditAppender(backend, () => systemClock.now(), storage.chain);
    const companies = createCompanies(
      { backend, config: ctx.config, clock: systemClock },
      audit,
      undefined,
      storage.shared.replay,
    );
    opts.wire?.(companies, ctx);
    return await fn(companies);
  } finally {
    await ctx.close();
  }
}

const out = (text: string) => process.stdout.write(text + '\n');

function table(rows: Company[]): string {
  if (rows.length === 0) return 'no companies registered';
  const lines = rows.map((c) => [c.id, c.status, c.authMethod, `v${c.termsVersion}`, c.createdAt, c.name]);
  const header = ['CLIENT ID', 'STATUS', 'AUTH', 'TERMS', 'CREATED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines]
    .map((l) => l.map((v, i) => (i === l.length - 1 ? v : v.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

export function registerCompanyCommands(program: Command, opts: CompanyCommandOptions = {}): void {
  const companies = program
    .command('companies')
    .description('Register and manage the companies (OAuth clients) that may ask for customer data.');

  companies
    .command('token')
    .description(
      'Issue a single-use initial access token with which one company can register at POST /register (RFC 7591).',
    )
    .option('--label <label>', 'a note for the operator: whom the token was given to', 'unlabelled')
    .option('--ttl-hours <hours>', 'hours until the token expires (at most 2160)', '24')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
The token is printed once and stored only as a SHA-256 digest. Hand it to the company over a
trusted channel; it sends it as "Authorization: Bearer <token>" when it registers.

Example:
  npm run vault -- companies token --label "Acme onboarding" --ttl-hours 48`,
    )
    .action(async (o: { label: string; ttlHours: string; json?: boolean }) => {
      const ttl = Number(o.ttlHours);
      if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 2160)
        throw cliError('--ttl-hours must be a number between 0 and 2160', EXIT.usage);
      const t = await withCompanies(opts, (c) => c.issueInitialAccessToken(o.label, ttl));
      out(
        o.json
          ? JSON.stringify({ ok: true, label: o.label, ...t })
          : `initial access token (shown once, expires ${t.expiresAt}):\n${t.token}`,
      );
    });

  companies
    .command('list')
    .description('List registered companies with their status, authentication method and terms version.')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- companies list --json')
    .action(async (o: { json?: boolean }) => {
      const rows = await withCompanies(opts, (c) => c.list());
      out(o.json ? JSON.stringify({ ok: true, companies: rows }) : table(rows));
    });

  companies
    .command('disable')
    .argument('<clientId>', 'the client_id of the company')
    .description(
      'Disable a company: it can no longer authenticate, and its grants are revoked. Recorded in the audit trail.',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- companies disable 0b5f7c1e-8d2a-4c3b-9e61-2f4a5b6c7d8e')
    .action(async (clientId: string, o: { json?: boolean }) => {
      const c = await withCompanies(opts, (cs) => cs.disable(clientId));
      out(o.json ? JSON.stringify({ ok: true, company: c }) : `disabled ${c.id} (${c.name})`);
    });
}
