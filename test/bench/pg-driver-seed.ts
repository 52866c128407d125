/**
 * The rows the driver bench (./pg-driver.ts) and its test read: companies, customers with one active grant and
 * token family each, and six 200-byte sealed profile fields apiece, written straight into the migrated tables.
 * Sealed values are derived from the customer and the field, so a test can recompute what a read must return.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

export const FIELDS = [
  'contact.email',
  'contact.phone',
  'address.street',
  'address.postcode',
  'identity.birth_date',
  'preferences.language',
];
export const SEALED_BYTES = 200;

export const ids = {
  company: (i: number) => `company-${i}`,
  customer: (i: number) => `customer-${i}`,
  grant: (i: number) => `grant-${i}`,
  family: (i: number) => `family-${i}`,
};

/** The seeded sealed value of one field: 200 bytes that depend on the customer and the field. */
export function sealedValue(customerId: string, field: string): Buffer {
  const out = Buffer.alloc(SEALED_BYTES);
  for (let block = 0; block * 32 < SEALED_BYTES; block++)
    createHash('sha256')
      .update(`${customerId}|${field}|${block}`)
      .digest()
      .copy(out, block * 32);
  return out;
}

const NOW = '2026-11-30T00:00:00.000Z';
const LATER = '2027-11-30T00:00:00.000Z';

/** Companies, customers with one active grant and token family each, and six sealed profile fields apiece. */
export async function seed(url: string, customers: number, companies = 20): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO companies (id, name, status, auth_method, secret_hash, redirect_uris, dpop_bound, terms_version,
         registration_token_hash, created_at)
       SELECT 'company-' || i, 'Company ' || i, 'active', 'client_secret_basic', md5(i::text), '["https://c.example/cb"]',
         false, 1, md5('r' || i), $1 FROM generate_series(0, $2::int - 1) i`,
      [NOW, companies],
    );
    for (let from = 0; from < customers; from += 1000) {
      const n = Math.min(1000, customers - from);
      const idx = Array.from({ length: n }, (_, k) => from + k);
      await c.query(
        `INSERT INTO customers (id, handle, login_index, password_hash, kek_id, wrapped_dek, created_at)
         SELECT 'customer-' || i, 'h' || i, 'l' || i, 'x', 'kek-1', $2, $1 FROM unnest($3::int[]) i`,
        [NOW, sealedValue('dek', 'dek').subarray(0, 72), idx],
      );
      await c.query(
        `INSERT INTO grants (id, customer_id, company_id, purpose, fields, actions, terms_version, policy_version,
           status, created_at, expires_at, updated_at)
         SELECT 'grant-' || i, 'customer-' || i, 'company-' || (i % $4::int), 'order-fulfilment', $2, '["read"]', 1,
           'policy-v1', 'active', $1, $5, $1 FROM unnest($3::int[]) i`,
        [NOW, JSON.stringify(FIELDS), idx, companies, LATER],
      );
      await c.query(
        `INSERT INTO token_families (id, grant_id, customer_id, company_id, created_at)
         SELECT 'family-' || i, 'grant-' || i, 'customer-' || i, 'company-' || (i % $3::int), $1
           FROM unnest($2::int[]) i`,
        [NOW, idx, companies],
      );
      const rows = idx.flatMap((i) => FIELDS.map((f) => [ids.customer(i), f] as const));
      await c.query(
        `INSERT INTO profile_fields (customer_id, field, version, sealed, updated_at)
         SELECT customer_id, field, 1, sealed, $1 FROM unnest($2::text[], $3::text[], $4::bytea[]) AS t(customer_id, field, sealed)`,
        [NOW, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map(([id, f]) => sealedValue(id, f))],
      );
    }
    await c.query('ANALYZE');
  } finally {
    await c.end();
  }
}
