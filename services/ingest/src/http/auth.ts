import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { type ConsoleRole, cookieValue, CSRF_HEADER, isSafeMethod, SESSION_COOKIE } from '../console/session';
import { ConsoleSessions } from '../console/sessions.service';
import { ApiError } from '../errors';
import type { HttpRequest } from './types';
import type { TenantRequest } from '@aperture/runtime';
import { TenantsService } from '../tenants/tenants.service';

type AuthenticatedRequest = HttpRequest &
  TenantRequest & {
    consoleRole?: ConsoleRole;
    annotatorId?: string;
  };

/**
 * Every tenant route: the header x-api-key must name a live key; the request then acts for its
 * tenant (`@Tenant()` from @aperture/runtime). Without the header, the web console's session cookie names a server-side session (its
 * key or annotator checked again on every request); a cookie-authenticated request that changes
 * something must also carry the console's CSRF header. An annotator session stays inside the
 * console: it looks at what the console shows an annotator (never a raw upload) and changes
 * nothing but its tasks.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(ConsoleSessions) private readonly sessions: ConsoleSessions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['x-api-key'];
    if (header !== undefined) {
      // Whoever holds the key itself is the tenant's client.
      request.tenantId = (await this.tenants.authenticate(header)).tenantId;
      request.consoleRole = 'client';
      return true;
    }
    const session = await this.sessions.resolve(cookieValue(request.headers.cookie, SESSION_COOKIE));
    if (!isSafeMethod(request.method) && request.headers[CSRF_HEADER] !== '1')
      throw new ApiError(
        'forbidden',
        `a console request that changes something needs the header ${CSRF_HEADER}: 1`,
      );
    if (session.role === 'annotator') {
      const url = request.url ?? '';
      if (!url.startsWith('/console/'))
        throw new ApiError('forbidden', 'an annotator session is for the console only');
      if (!isSafeMethod(request.method) && !url.startsWith('/console/api/tasks/'))
        throw new ApiError('forbidden', 'an annotator session may only lease and submit tasks');
    }
    request.tenantId = session.principal.tenantId;
    request.consoleRole = session.role;
    request.annotatorId = session.annotatorId;
    return true;
  }
}

/** The annotator of an annotator console session; '' for a client (key or client session). */
export const AnnotatorOf = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().annotatorId ?? '',
);

/** The role of the request: the console session's, or client for a request with the key. */
export const Role = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ConsoleRole =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().consoleRole ?? 'client',
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
