import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiError } from './api-error';

/** What a service's authentication guard leaves on a request it admitted: the tenant it acts for. */
export interface TenantRequest {
  tenantId?: string;
}

/**
 * The tenant a keyed route acts for, as its service's guard resolved it from the credential
 * (ingest's ApiKeyGuard, the stages' CallerGuard); a route no guard admitted is unauthenticated.
 */
export const Tenant = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const tenantId = context.switchToHttp().getRequest<TenantRequest>().tenantId;
  if (!tenantId) throw ApiError.unauthenticated();
  return tenantId;
});
