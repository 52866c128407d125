import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Customer } from '../support/browser-like.ts';
import { vaultOnOwnCluster } from '../support/pg-vault.ts';
import { startPostgres, type PostgresCluster } from '../support/postgres.ts';
import type { RunningVault } from '../support/vault.ts';

/**
 * What a company read sends to PostgreSQL, through the real server, read from the cluster's own statement log: the
 * reads its unit makes before deciding go in one read-ahead (server/data/use-read-ahead.ts), not one round trip each.
 * A cluster of this file's own, logging every statement.
 */
let cluster: PostgresCluster;
let v: RunningVault;
let alice: Customer;
let token: string;

beforeAll(async () => {
  ({ cluster, v, alice, token } = await vaultOnOwnCluster(
    'statements',
    ['email', 'phone'],
    startPostgres({ logStatements: true }),
  ));
}, 60_000);
afterAll(async () => {
  await v?.close();
  cluster?.stop();
});

/** The statements the server ran for `times` requests at once: the log between two markers the test sends around them. */
async function statementsOf(path: string, status = 200, times = 1): Promise<string[]> {
  const mark = `mark_${Math.random().toString(36).slice(2)}`;
  await cluster.query('statements', `SELECT '${mark}_before'`);
  const answers = await Promise.all(
    Array.from({ length: times }, () => fetch(v.url + path, { headers: { authorization: `Bearer ${token}` } })),
  );
  for (const r of answers) {
    expect(r.status).toBe(status);
    await r.arrayBuffer();
  }
  await cluster.query('statements', `SELECT '${mark}_after'`);
  const log = cluster.log();
  const between = log.slice(log.indexOf(`${mark}_before`), log.indexOf(`${mark}_after`));
  // One entry per line that starts with the log's time stamp; a statement's own line breaks continue its entry.
  return (
    between
      .split(/\n(?=\d{4}-\d\d-\d\d )/)
      .map((entry) => /LOG: {2}(?:statement|execute [^:]*): ([\s\S]*)/.exec(entry)?.[1]?.replace(/\s+/g, ' ').trim())
      .filter((s): s is string => s !== undefined)
      // Not the request's: the batch read-ahead asking a part's parameter types, once per part text and server, in
      // the background (server/db/pg/batch-read-ahead.ts).
      .filter((s) => !/^(PREPARE "v_types_|SELECT parameter_types|DEALLOCATE "v_types_)/.test(s))
      .slice(1)
  );
}

// The reads a company use makes before it decides, each its own statement without the read-ahead.
const AHEAD = [
  /FROM refusal_windows WHERE company_id/,
  /FROM \(SELECT 1 AS one\) AS one LEFT JOIN token_families/,
  /FROM "grants" WHERE "id"/,
  /FROM customers WHERE handle/,
  /SELECT terms_version AS v FROM companies/,
  /SELECT u.hour, u.count, s.snap FROM \(SELECT pg_current_snapshot\(\)::text AS snap\) AS s\s+LEFT JOIN usage_counters/,
];

describe('a company read on PostgreSQL', () => {
  for (const [what, path] of [
    ['a field read', () => `/data/customers/${alice.handle}?fields=email,phone`],
    ['a records read', () => `/data/customers/${alice.handle}/records`],
  ] as const)
    it(`when it is ${what}, then its reads before the decision go to the database in one statement`, async () => {
      const sent = await statementsOf(path());
      const ahead = sent.filter((s) => s.startsWith('SELECT (SELECT coalesce(json_agg(t)'));
      expect(ahead).toHaveLength(1);
      for (const part of AHEAD) {
        expect(ahead[0]).toMatch(part);
        expect(sent.filter((s) => part.test(s))).toHaveLength(1);
      }
      // The token's revocation is looked up in the unit only (server/oauth/bearer.ts, revocationInUnit). A field
      // read's event takes the seq that came with its reads; a records read's page query would end the read-ahead
      // before its event, so it takes one when the event is made.
      expect(sent.filter((s) => /revoked_access_tokens/.test(s))).toHaveLength(1);
      const seqAhead = /nextval\('audit_events_seq'\) AS seq/;
      expect(sent.filter((s) => /nextval/.test(s))).toHaveLength(1);
      if (what === 'a field read') expect(ahead[0]).toMatch(seqAhead);
      else expect(ahead[0]).not.toMatch(seqAhead);
    });

  it('when it is a field read, then the sealed fields come with the reads before the decision, not in a statement of their own', async () => {
    const sent = await statementsOf(`/data/customers/${alice.handle}`);
    expect(sent.filter((s) => /FROM profile_fields/.test(s))).toHaveLength(1);
    expect(sent.find((s) => /FROM profile_fields/.test(s))).toMatch(/^SELECT \(SELECT coalesce\(json_agg\(t\)/);
    // Having sent nothing but its read-ahead, the unit needs no savepoint round trip, and its audit row is written
    // with its batch's, in one statement before the COMMIT (server/db/pg/group-commit.ts, runUnit).
    expect(sent.filter((s) => /RELEASE SAVEPOINT/.test(s))).toEqual([]);
    const audit = sent.filter((s) => /^INSERT INTO audit_events/.test(s));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatch(/unnest/);
    expect(sent.indexOf(audit[0]!)).toBeLessThan(sent.indexOf('COMMIT'));
  });

  it('when the read is refused after its read-ahead (its refusal counted: a write), then its event takes a fresh seq after that write', async () => {
    const sent = await statementsOf(`/data/customers/${alice.handle}?fields=city`, 403);
    const counted = sent.findIndex((s) => /INSERT INTO refusal_windows/.test(s));
    const fresh = sent.findIndex((s) => /^SELECT nextval\('audit_events_seq'\)/.test(s));
    expect(counted).toBeGreaterThan(0);
    expect(fresh).toBeGreaterThan(counted);
    expect(sent.findIndex((s) => /^INSERT INTO audit_events/.test(s))).toBeGreaterThan(fresh);
  });

  it('when several reads share a batch, then one statement reads ahead for all of them and none reads for itself', async () => {
    const isBatch = (s: string) => /WITH ORDINALITY/.test(s);
    // The batch learns the parts' parameter types once, in the background: until then, each read reads for itself.
    // Eight at once: the server shares them out over its lanes, several to a batch. Measured once a batch has been
    // seen before (the types known from the start), within the grant's budget of reads per hour.
    let [seen, sent] = [false, [] as string[]];
    for (let tries = 0; tries < 6; tries++) {
      sent = await statementsOf(`/data/customers/${alice.handle}?fields=email`, 200, 8);
      if (seen && sent.some(isBatch)) break;
      seen ||= sent.some(isBatch);
    }
    const batch = sent.filter(isBatch);
    expect(batch.length).toBeGreaterThan(0);
    for (const part of AHEAD) expect(batch[0]).toMatch(part);
    expect(batch[0]).toMatch(/FROM profile_fields/);
    // Every read's reads came from a batch statement: as many own read-aheads as reads alone in their batch.
    const commits = sent.filter((s) => s === 'COMMIT').length;
    const own = sent.filter((s) => s.startsWith('SELECT (SELECT coalesce(json_agg(t)')).length;
    expect(own).toBe(commits - batch.length);
    expect(sent.filter((s) => /FROM "grants" WHERE "id"/.test(s) && !isBatch(s))).toHaveLength(own);
  });
});
