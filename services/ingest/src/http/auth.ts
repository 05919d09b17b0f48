import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { ApiError } from '../errors';
import type { HttpRequest } from './types';
import { type TenantPrincipal, TenantsService } from '../tenants/tenants.service';

type AuthenticatedRequest = HttpRequest & { principal?: TenantPrincipal };

/** Every tenant route: the header x-api-key must name a live key; the request then acts for its tenant. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.principal = await this.tenants.authenticate(request.headers['x-api-key']);
    return true;
  }
}

/** The tenant the request's API key belongs to (set by ApiKeyGuard). */
export const Principal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TenantPrincipal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw ApiError.unauthenticated();
    return principal;
  },
);

/** Admin routes: the header x-admin-token must equal ADMIN_TOKEN. */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  canActivate(context: ExecutionContext): boolean {
    const token = context.switchToHttp().getRequest<HttpRequest>().headers['x-admin-token'];
    if (!this.tenants.isAdmin(typeof token === 'string' ? token : undefined)) {
      throw ApiError.unauthenticated('missing or wrong x-admin-token header');
    }
    return true;
  }
}
