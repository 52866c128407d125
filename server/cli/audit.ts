import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { createProgress } from '../audit/export/progress.ts';
import { createAuditQueries } from '../audit/queries.ts';
import { auditFilterSchema } from '../audit/routes.ts';
import { createAuditService } from '../audit/service.ts';
import { createAuditAppender } from '../audit/chain/append.ts';
import { DEFAULT_CHAIN } from '../audit/chain/chains.ts';
import { verifyCheckpoint } from '../audit/checkpoints/checkpoint.ts';
import { loadJwks, verifyExport, verifyRows } from '../audit/verify/verify.ts';
import { verifyVerdict } from '../audit/verify/report.ts';
import { systemClock } from '../context.ts';
import { SigningKeys } from '../crypto/signing-keys.ts';
import { createAccounts, credentialsSchema } from '../customers/accounts.ts';
import { createCustomerStore } from '../customers/store.ts';
import { parse } from '../http/validate.ts';
import { cliError, EXIT, openCliContext } from './context.ts';

const say = (json: boolean, obj: Record<string, unknown>, text: string) =>
  process.stdout.write((json ? JSON.stringify(obj) : text) + '\n');

async function auditContext() {
  const ctx = await openCliContext();
  const signing = await SigningKeys.open(ctx.config.dataDir);
  const { backend, storage } = ctx;
  const audit = createAuditAppender(backend, () => systemClock.now(), storage.chain);
  const queries = createAuditQueries(backend, storage.db?.$client.name);
  const service = createAuditService({ backend, clock: systemClock, signing }, { queries, audit });
  return { ctx, signing, audit, service, queries };
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
    .addHelpText(
      'after',
      `
A filtered export proves nothing on its own: where the filter leaves gaps the chain is broken, so the
signed checkpoint does not cover its events and \`audit verify\` fails on it unless given
--allow-unanchored. Export without filters for a complete, checkpoint-anchored copy.

Examples:
  npm run vault -- audit export --out audit.jsonl
  npm run vault -- audit export --company 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b --from 2026-01-01T00:00:00Z --format csv -o shop.csv`,
    )
    .action(async (o: { format: string; out?: string } & Record<string, string | undefined>) => {
      const format = o.format === 'csv' ? 'csv' : o.format === 'jsonl' ? 'jsonl' : undefined;
      if (!format) throw cliError('--format must be jsonl or csv', EXIT.usage);
      const raw = Object.fromEntries(
        ['from', 'to', 'company', 'customer', 'action', 'decision']
          .filter((k) => o[k] !== undefined)
          .map((k) => [k, o[k]]),
      );
      const r = auditFilterSchema.safeParse(raw);
      if (!r.success)
        throw cliError(
          `invalid filter: ${r.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}`,
          EXIT.usage,
        );
      const { ctx, service, queries } = await auditContext();
      const total = await queries.count();
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const bar = createProgress('export', total, { unit: 'events' });
      try {
        const summary = await service.exportTo(out, r.data, format, { kind: 'operator', id: 'cli' }, undefined, (n) =>
          bar.update(n),
        );
        bar.stop();
        if (o.out) {
          await new Promise<void>((res, rej) =>
            (out as ReturnType<typeof createWriteStream>).end((e?: Error | null) => (e ? rej(e) : res())),
          );
          process.stderr.write(`exported ${summary.events} events (up to seq ${summary.lastSeq}) to ${o.out}\n`);
        }
      } finally {
        bar.stop();
        await ctx.close();
      }
    });

  audit
    .command('verify')
    .description(
      'Check an export (or the live chain) offline: every hash, every link and the signed checkpoint; exit 3 names the first bad seq, or says what is not proven.',
    )
    .argument('[file]', 'an export (JSON Lines or CSV); omit with --live to check the database itself')
    .option(
      '--jwks <file|url>',
      "the vault's public keys, to check the export's signed checkpoint (required for a file), e.g. https://vault.example/jwks.json or a saved copy",
    )
    .option('--live', "verify the live database's chain against its latest checkpoint instead of a file")
    .option(
      '--allow-unanchored',
      'exit 0 even when no signed checkpoint covers the events (a filtered export): a consistency check only, with a warning',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Recomputes every hash offline and checks the links between events and the signed checkpoint. The
hashes are not keyed, so anyone can rewrite events and recompute them: a file is only proven when
it is anchored, that is when its events form one unbroken chain ending at a checkpoint whose
signature verifies with the JWKS. A file without a checkpoint, an empty file and a filtered export
(whose gaps break the chain) are not anchored and fail with exit 3 unless --allow-unanchored is
given; then they exit 0 with a WARNING line ("anchored": false in --json). Export without filters
for a file that proves itself. --live checks the database against its own latest checkpoint, whose
signature it checks with the vault's keys (retired ones too), and fails the same way while it has
none (run \`audit checkpoint\` first).

Exit code 0 when the file is verified and anchored, 2 on a usage error (no --jwks for a file,
a file together with --live), 3 when verification fails (the first bad seq is named) or nothing
signed covers the events.

Examples:
  npm run vault -- audit verify audit.jsonl --jwks https://vault.example/jwks.json
  npm run vault -- audit verify audit.csv --jwks jwks.json --json
  npm run vault -- audit verify filtered.jsonl --jwks jwks.json --allow-unanchored
  npm run vault -- audit verify --live`,
    )
    .action(
      async (
        file: string | undefined,
        o: { jwks?: string; live?: boolean; allowUnanchored?: boolean; json?: boolean },
      ) => {
        const usage = (message: string) => cliError(message, EXIT.usage);
        let result;
        if (o.live) {
          if (file) throw usage('give an export file or --live, not both');
          const { ctx, service, signing, queries } = await auditContext();
          try {
            const last = (await service.checkpoints(1))[0] ?? null;
            // The stored checkpoint is trusted only if its signature (by the vault's own keys) says what the row says.
            const signed = last ? await verifyCheckpoint(last.jws, signing.allPublicKeys()).catch(() => null) : null;
            if (last && (!signed || signed.seq !== last.seq || signed.hash !== last.hash)) {
              result = {
                ok: false as const,
                badSeq: last.seq,
                reason: `the stored checkpoint at seq ${last.seq} does not carry a valid signature for its seq and hash`,
                events: 0,
              };
            } else {
              // Several chains (audit/chain/chains.ts): each is checked by its links and its signed head.
              const multi = (await queries.heads()).some((h) => h.chain !== DEFAULT_CHAIN);
              result = await verifyRows(queries.allRows(), {
                checkpoint: last && signed?.chains ? { ...last, chains: signed.chains } : last,
                multi,
              });
            }
          } finally {
            await ctx.close();
          }
        } else {
          if (!file) throw usage('give an export file, or --live');
          // Without the keys the checkpoint cannot be checked, and without it the file proves nothing.
          if (!o.jwks)
            throw usage(
              "--jwks <file|url> is required to verify a file: the vault's public keys check its signed checkpoint",
            );
          const jwks = await loadJwks(o.jwks);
          const size = (await stat(file)).size;
          const bar = createProgress('verify', Math.round(size / 1e6), { unit: 'MB' });
          try {
            result = await verifyExport(file, { jwks, onProgress: (read) => bar.update(Math.round(read / 1e6)) });
          } finally {
            bar.stop();
          }
        }
        const verdict = verifyVerdict(result, { allowUnanchored: o.allowUnanchored });
        say(!!o.json, verdict.json, verdict.text);
        if (!verdict.ok) throw cliError('verification failed', EXIT.verifyFailed, true);
      },
    );

  audit
    .command('checkpoint')
    .description('Sign a checkpoint {seq, hash, time} at the head of the chain now.')
    .option('--json', 'print the checkpoint as JSON')
    .addHelpText('after', '\nExample:\n  npm run vault -- audit checkpoint --json')
    .action(async (o: { json?: boolean }) => {
      const { ctx, service } = await auditContext();
      try {
        const cp = await service.checkpoint();
        say(
          !!o.json,
          cp as unknown as Record<string, unknown>,
          `checkpoint seq ${cp.seq} hash ${cp.hash} at ${cp.time}`,
        );
      } finally {
        await ctx.close();
      }
    });

  const auditors = program
    .command('auditors')
    .description('Manage auditor accounts (they sign in on the dashboard and see only the auditor API).');
  auditors
    .command('create')
    .argument('<email>', "the auditor's sign-in e-mail")
    .description(
      'Create an auditor account; the password is read from VAULT_AUDITOR_PASSWORD or the first line of stdin.',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\nExample:\n  printf '%s\\n' 'a long passphrase' | npm run vault -- auditors create auditor@example.org",
    )
    .action(async (email: string, o: { json?: boolean }) => {
      const password = process.env.VAULT_AUDITOR_PASSWORD ?? (await readLine());
      const creds = parse(credentialsSchema, { email, password }, 'arguments');
      const { ctx, audit } = await auditContext();
      try {
        const accounts = createAccounts(
          { backend: ctx.backend, keyring: ctx.keyring, clock: systemClock },
          createCustomerStore(ctx.backend),
          audit,
        );
        const r = await accounts.createAuditor(creds);
        say(!!o.json, { ok: true, id: r.id }, `auditor ${r.id} created`);
      } finally {
        await ctx.close();
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
