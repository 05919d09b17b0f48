import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import {
  type ConsoleRole,
  cookieValue,
  CSRF_HEADER,
  isSafeMethod,
  parseSession,
  SESSION_COOKIE,
} from '../console/session';
import { ApiError } from '../errors';
import type { HttpRequest } from './types';
import { type TenantPrincipal, TenantsService } from '../tenants/tenants.service';

type AuthenticatedRequest = HttpRequest & { principal?: TenantPrincipal; consoleRole?: ConsoleRole };

/**
 * Every tenant route: the header x-api-key must name a live key; the request then acts for its
 * tenant. Without the header, the web console's session cookie carries the key instead (same
 * check); a cookie-authenticated request that changes something must also carry the console's
 * CSRF header.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['x-api-key'];
    const session =
      header === undefined ? parseSession(cookieValue(request.headers.cookie, SESSION_COOKIE)) : undefined;
    if (session && !isSafeMethod(request.method) && request.headers[CSRF_HEADER] !== '1')
      throw new ApiError(
        'forbidden',
        `a console request that changes something needs the header ${CSRF_HEADER}: 1`,
      );
    // An annotator's screen labels tasks; everything else it may only look at.
    if (
      session?.role === 'annotator' &&
      !isSafeMethod(request.method) &&
      !request.url?.startsWith('/console/api/tasks/')
    )
      throw new ApiError('forbidden', 'an annotator session may only lease and submit tasks');
    request.principal = await this.tenants.authenticate(session ? session.apiKey : header);
    // Whoever holds the key itself (header) is the tenant's client.
    request.consoleRole = session?.role ?? 'client';
    return true;
  }
}

/** The role of the request: the console session's, or client for a request with the key. */
export const Role = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ConsoleRole =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().consoleRole ?? 'client',
);

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
