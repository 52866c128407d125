import type { TestProject } from 'vitest/node';
import { migratePostgres } from '../../server/db/pg/migrate.ts';
import { startPostgres } from './postgres.ts';
import './test-database.ts';

/**
 * Global setup of the PostgreSQL pass (vitest.postgres.config.ts): one throwaway cluster for the whole run and a
 * migrated template database every test vault copies (test/support/test-database.ts).
 */
export default async function setup(project: TestProject) {
  const cluster = await startPostgres();
  try {
    const url = await cluster.createDatabase('vault_template');
    await migratePostgres(url);
    project.provide('postgresTemplateUrl', url);
  } catch (e) {
    cluster.stop();
    throw e;
  }
  return () => cluster.stop();
}
