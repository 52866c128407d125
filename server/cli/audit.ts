import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { createProgress } from '../audit/progress.ts';
import { createAuditQueries } from '../audit/queries.ts';
import { auditFilterSchema } from '../audit/routes.ts';
import { createAuditService } from '../audit/service.ts';
import { createAuditAppender } from '../audit/store.ts';
import { loadJwks, verifyExport, verifyRows } from '../audit/verify.ts';
import { systemClock } from '../context.ts';
import { SigningKeys } from '../crypto/signing-keys.ts';
import { createAccounts, credentialsSchema } from '../customers/accounts.ts';
import { createCustomerStore } from '../customers/store.ts';
import { parse } from '../http/validate.ts';
import { EXIT, openCliContext } from './context.ts';

const say = (json: boolean, obj: Record<string, unknown>, text: string) => process.stdout.write((json ? JSON.stringify(obj) : text) + '\n');

async function auditContext() {
  const ctx = openCliContext();
  const signing = await SigningKeys.open(ctx.config.dataDir);
  const audit = createAuditAppender(ctx.db, () => systemClock.now());
  const service = createAuditService({ db: ctx.db, clock: systemClock, signing }, { queries: createAuditQueries(ctx.db, ctx.db.$client.name), audit });
  return { ctx, signing, audit, service };
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Export, verify and checkpoint the tamper-evident audit trail.');

  audit
    .command('export')
    .description('Export events (oldest first) with a signed checkpoint covering them, streamed in constant memory.')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .option('--from <iso>', 'events at or after this time')
    .option('--to <iso>', 'events before this time')
    .option('--company <clientId>', 'only this company')
    .option('--customer <id>', 'only this (pseudonymous) customer id')
    .option('--action <action>', 'only this action, e.g. data.read')
    .option('--decision <allow|deny>', 'only allowed or denied events')
    .option('-o, --out <file>', 'write here instead of stdout')
    .addHelpText('after', `
A filtered export verifies event by event but cannot prove that nothing was left out; export without
filters for a complete, checkpoint-anchored copy.

Examples:
  npm run vault -- audit export --out audit.jsonl
  npm run vault -- audit export --company shop-123 --from 2026-01-01T00:00:00Z --format csv -o shop.csv`)
    .action(async (o: { format: string; out?: string } & Record<string, string | undefined>) => {
      const format = o.format === 'csv' ? 'csv' : o.format === 'jsonl' ? 'jsonl' : undefined;
      if (!format) throw Object.assign(new Error('--format must be jsonl or csv'), { exitCode: EXIT.usage });
      const raw = Object.fromEntries(['from', 'to', 'company', 'customer', 'action', 'decision'].filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
      const r = auditFilterSchema.safeParse(raw);
      if (!r.success) throw Object.assign(new Error(`invalid filter: ${r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}`), { exitCode: EXIT.usage });
      const { ctx, service } = await auditContext();
      const total = ctx.db.$client.prepare('select count(*) n from audit_events').pluck().get() as number;
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const bar = createProgress('export', total, { unit: 'events' });
      try {
        const summary = await service.exportTo(out, r.data, format, { kind: 'operator', id: 'cli' }, undefined, (n) => bar.update(n));
        bar.stop();
        if (o.out) {
          await new Promise<void>((res, rej) => (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? rej(e) : res())));
          process.stderr.write(`exported ${summary.events} events (up to seq ${summary.lastSeq}) to ${o.out}\n`);
        }
      } finally {
        bar.stop();
        ctx.close();
      }
    });

  audit
    .command('verify')
    .description('Check an export (or the live chain) offline: every hash, every link and the signed checkpoint; exit 3 names the first bad seq.')
    .argument('[file]', 'an export (JSON Lines or CSV); omit with --live to check the database itself')
    .option('--jwks <file|url>', "the vault's public keys (needed to check the checkpoint), e.g. https://vault.example/jwks.json or a saved copy")
    .option('--live', "verify the live database's chain instead of a file")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Recomputes every hash offline, checks the links between events and the signed checkpoint, and either
reports how many events verified or names the first sequence number that breaks. Exit code 0 when the
file verifies, 3 when it does not.

Examples:
  npm run vault -- audit verify audit.jsonl --jwks https://vault.example/jwks.json
  npm run vault -- audit verify audit.csv --jwks jwks.json --json
  npm run vault -- audit verify --live`)
    .action(async (file: string | undefined, o: { jwks?: string; live?: boolean; json?: boolean }) => {
      let result;
      if (o.live) {
        const { ctx, service } = await auditContext();
        try {
          const last = service.checkpoints(1)[0] ?? null;
          result = await verifyRows(createAuditQueries(ctx.db, ctx.db.$client.name).allRows(), { checkpoint: last });
        } finally {
          ctx.close();
        }
      } else {
        if (!file) throw Object.assign(new Error('give an export file, or --live'), { exitCode: EXIT.usage });
        const size = (await stat(file)).size;
        const bar = createProgress('verify', Math.round(size / 1e6), { unit: 'MB' });
        try {
          result = await verifyExport(file, { jwks: o.jwks ? await loadJwks(o.jwks) : { keys: [] }, onProgress: (read) => bar.update(Math.round(read / 1e6)) });
        } finally {
          bar.stop();
        }
      }
      if (result.ok) {
        say(!!o.json, result as unknown as Record<string, unknown>, `ok: ${result.events} events verified (seq ${result.firstSeq}..${result.lastSeq})${result.checkpoint ? `, checkpoint seq ${result.checkpoint.seq} signature valid${result.anchored ? ' and matched' : ''}` : ', no checkpoint'}${result.complete ? ', complete' : ', not provably complete (filtered or unanchored)'}`);
      } else {
        say(!!o.json, result as unknown as Record<string, unknown>, `FAILED at seq ${result.badSeq}: ${result.reason} (${result.events} events verified before it)`);
        throw Object.assign(new Error('verification failed'), { exitCode: EXIT.verifyFailed, quiet: true });
      }
    });

  audit
    .command('checkpoint')
    .description('Sign a checkpoint {seq, hash, time} at the head of the chain now.')
    .option('--json', 'print the checkpoint as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- audit checkpoint --json')
    .action(async (o: { json?: boolean }) => {
      const { ctx, service } = await auditContext();
      try {
        const cp = service.checkpoint();
        say(!!o.json, cp as unknown as Record<string, unknown>, `checkpoint seq ${cp.seq} hash ${cp.hash} at ${cp.time}`);
      } finally {
        ctx.close();
      }
    });

  const auditors = program.command('auditors').description('Manage auditor accounts (they sign in on the dashboard and see only the auditor API).');
  auditors
    .command('create')
    .argument('<email>', "the auditor's sign-in e-mail")
    .description('Create an auditor account; the password is read from VAULT_AUDITOR_PASSWORD or the first line of stdin.')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', "\nExample:\n  printf '%s\\n' 'a long passphrase' | npm run vault -- auditors create auditor@example.org")
    .action(async (email: string, o: { json?: boolean }) => {
      const password = process.env.VAULT_AUDITOR_PASSWORD ?? (await readLine());
      const creds = parse(credentialsSchema, { email, password }, 'arguments');
      const { ctx, audit } = await auditContext();
      try {
        const accounts = createAccounts({ db: ctx.db, keyring: ctx.keyring, clock: systemClock }, createCustomerStore(ctx.db), audit);
        const r = await accounts.createAuditor(creds);
        say(!!o.json, { ok: true, id: r.id }, `auditor ${r.id} created`);
      } finally {
        ctx.close();
      }
    });
}

async function readLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split('\n')[0]!.trim();
}
