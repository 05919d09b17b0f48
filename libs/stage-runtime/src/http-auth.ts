import { type TenantRequest } from '@aperture/runtime';
import { type CanActivate, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import {
  authenticateCaller,
  type Caller,
  type CallerKind,
  type ExtraCredential,
  httpHeaders,
  tenantFor,
} from './caller';
import type { StageContext } from './run-stage';

const CALLERS = 'aperture:callers';

/**
 * The callers a route admits (on a controller: each of its routes, a route's own overrides it):
 * CallerGuard authenticates them before the route runs, `@Tenant()` and `@CallerOf()` read the
 * result. A route without it is open (health, a signed webhook, a route with its own credential).
 */
export const Callers = (...kinds: CallerKind[]) => SetMetadata(CALLERS, kinds);

type CallerRequest = TenantRequest & {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
};

/**
 * Every stage's HTTP authentication (installed by startStage on every route): the caller of a
 * route with `@Callers(...)` from its credential headers (`authenticateCaller`, the stage's own
 * credential included), and the tenant it acts for (`tenantFor`: the service identity names it in
 * x-aperture-tenant). No credential is 401, a caller of another kind 403.
 */
export class CallerGuard implements CanActivate {
  constructor(
    private readonly ctx: StageContext,
    private readonly reflector: Reflector,
    private readonly credential?: ExtraCredential,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const allow = this.reflector.getAllAndOverride<CallerKind[] | undefined>(CALLERS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!allow) return true;
    const request = context.switchToHttp().getRequest<CallerRequest>();
    const caller = await authenticateCaller(this.ctx, httpHeaders(request.headers), allow, this.credential);
    request.caller = caller;
    request.tenantId = tenantFor(caller);
    return true;
  }
}

/** The authenticated caller of a route with `@Callers(...)` (e.g. for `annotatorFor`). */
export const CallerOf = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<CallerRequest>().caller;
  if (!caller) throw new Error('@CallerOf() on a route without @Callers(...)');
  return caller;
});
