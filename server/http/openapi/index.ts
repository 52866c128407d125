import { auditComponents, auditOperations } from '../../audit/openapi.ts';
import { benefitComponents, benefitOperations } from '../../benefits/openapi.ts';
import { companyComponents, companyOperations } from '../../companies/openapi.ts';
import { customerComponents, customerOperations } from '../../customers/openapi.ts';
import { dataComponents, dataOperations } from '../../data/openapi.ts';
import { eventComponents, eventOperations } from '../../events/openapi.ts';
import { deletionComponents, deletionOperations } from '../../deletions/openapi.ts';
import { grantComponents, grantOperations } from '../../grants/openapi.ts';
import { oauthComponents, oauthOperations } from '../../oauth/openapi.ts';
import { buildOpenApiDocument } from './document.ts';
import { securitySchemes } from './security.ts';
import { serviceOperations } from './service.ts';
import type { OperationSpec } from './spec.ts';

/** Every route of the app, module by module; test/openapi/routes.test.ts checks it against the router. */
export const ALL_OPERATIONS: readonly OperationSpec[] = [
  ...oauthOperations,
  ...companyOperations,
  ...dataOperations,
  ...grantOperations,
  ...eventOperations,
  ...deletionOperations,
  ...customerOperations,
  ...auditOperations,
  ...benefitOperations,
  ...serviceOperations,
];

export const ALL_COMPONENTS = {
  ...oauthComponents,
  ...companyComponents,
  ...dataComponents,
  ...grantComponents,
  ...eventComponents,
  ...deletionComponents,
  ...customerComponents,
  ...auditComponents,
  ...benefitComponents,
};

let core: Record<string, unknown> | undefined;

/**
 * The document for a vault at `publicUrl`. Only `servers` and the OAuth flow URLs depend on it, so
 * the rest (~20 ms of schema conversion) is built once per process and shared.
 */
export function openApiDocument(publicUrl: string): Record<string, unknown> {
  core ??= buildOpenApiDocument({
    publicUrl: 'https://vault.invalid',
    operations: ALL_OPERATIONS,
    components: ALL_COMPONENTS,
  });
  const components = core.components as Record<string, unknown>;
  return {
    ...core,
    servers: [{ url: publicUrl, description: 'This vault' }],
    components: { ...components, securitySchemes: securitySchemes(publicUrl) },
  };
}

export { toOpenApiPath } from './spec.ts';
export type { OperationSpec } from './spec.ts';
