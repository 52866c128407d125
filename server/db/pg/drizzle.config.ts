import { defineConfig } from 'drizzle-kit';

// PostgreSQL migrations: `npx drizzle-kit generate --config server/db/pg/drizzle.config.ts`, then read the SQL.
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/pg/schema.ts',
  out: './server/db/pg/migrations',
});
