import { auditComponents, auditOperations } from '../../audit/openapi.ts';
import { companyComponents, companyOperations } from '../../companies/openapi.ts';
import { customerComponents, customerOperations } from '../../customers/openapi.ts';
import { dataComponents, dataOperations } from '../../data/openapi.ts';
import { grantComponents, grantOperations } from '../../grants/openapi.ts';
import { oauthComponents, oauthOperations } from '../../oauth/openapi.ts';
import { buildOpenApiDocument } from './document.ts';
import { serviceOperations } from './service.ts';
import type { OperationSpec } from './spec.ts';

/** Every route of the app, module by module; test/openapi/routes.test.ts checks it against the router. */
export const ALL_OPERATIONS: readonly OperationSpec[] = [
  ...oauthOperations,
  ...companyOperations,
  ...dataOperations,
  ...grantOperations,
  ...customerOperations,
  ...auditOperations,
  ...serviceOperations,
];

export const ALL_COMPONENTS = { ...oauthComponents, ...companyComponents, ...dataComponents, ...grantComponents, ...customerComponents, ...auditComponents };

export function openApiDocument(publicUrl: string): Record<string, unknown> {
  return buildOpenApiDocument({ publicUrl, operations: ALL_OPERATIONS, components: ALL_COMPONENTS });
}

export { toOpenApiPath } from './spec.ts';
export type { OperationSpec } from './spec.ts';
