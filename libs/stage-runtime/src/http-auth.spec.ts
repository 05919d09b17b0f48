import { ApiError, SERVICE_TENANT_HEADER, SERVICE_TOKEN_HEADER } from '@aperture/runtime';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CallerGuard, Callers } from './http-auth';
import type { StageContext } from './run-stage';

class Routes {
  open() {}
  @Callers('tenant', 'service')
  tenantOrService() {}
  @Callers('tenant')
  tenantOnly() {}
}

@Callers('service')
class ServiceRoutes {
  inherited() {}
  @Callers('tenant')
  overridden() {}
}

const SERVICE_TOKEN = 'the-service-token-1';
// The service identity needs no database; an API key would reach this connection and fail loudly.
const ctx = {
  serviceToken: SERVICE_TOKEN,
  pipeline: { connection: { collection: () => ({ findOne: async () => null }) } },
} as unknown as StageContext;

function run(controller: object, method: string, headers: Record<string, string>) {
  const request: Record<string, unknown> = { headers };
  const context = {
    getHandler: () => (controller as Record<string, unknown>)[method],
    getClass: () => controller.constructor,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return new CallerGuard(ctx, new Reflector())
    .canActivate(context)
    .then((admitted) => ({ admitted, request }));
}

const service = { [SERVICE_TOKEN_HEADER]: SERVICE_TOKEN, [SERVICE_TENANT_HEADER]: 'ten_1' };

describe('CallerGuard', () => {
  it('lets a route without @Callers through untouched', async () => {
    const { admitted, request } = await run(new Routes(), 'open', {});
    expect(admitted).toBe(true);
    expect(request['tenantId']).toBeUndefined();
  });

  it('admits a caller the route lists, with the tenant it acts for', async () => {
    const { request } = await run(new Routes(), 'tenantOrService', service);
    expect(request).toMatchObject({ tenantId: 'ten_1', caller: { kind: 'service', tenantId: 'ten_1' } });
  });

  it('refuses a missing credential (401), a wrong one (401) and a kind the route does not list (403)', async () => {
    await expect(run(new Routes(), 'tenantOrService', {})).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      run(new Routes(), 'tenantOrService', { [SERVICE_TOKEN_HEADER]: 'not-the-token' }),
    ).rejects.toMatchObject({ code: 'unauthenticated', message: 'invalid service token' });
    await expect(run(new Routes(), 'tenantOnly', service)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(run(new Routes(), 'tenantOnly', { 'x-api-key': 'apk_unknown-key' })).rejects.toBeInstanceOf(
      ApiError,
    );
  });

  it("takes a controller's @Callers for its routes, a route's own over it", async () => {
    await expect(run(new ServiceRoutes(), 'inherited', service)).resolves.toMatchObject({ admitted: true });
    await expect(run(new ServiceRoutes(), 'overridden', service)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('needs the tenant named when the service identity calls', async () => {
    await expect(
      run(new Routes(), 'tenantOrService', { [SERVICE_TOKEN_HEADER]: SERVICE_TOKEN }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
