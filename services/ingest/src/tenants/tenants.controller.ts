import { Tenant } from '@aperture/runtime';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard, ApiKeyGuard } from '../http/auth';
import {
  ApiKeyListDoc,
  CreatedApiKeyDoc,
  CreatedTenantDoc,
  CreateTenantDto,
  ErrorBodyDoc,
} from '../http/dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@Controller('v1/tenants')
export class TenantsController {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  @UseGuards(AdminTokenGuard)
  @ApiSecurity('adminToken')
  @ApiHeader({ name: 'x-admin-token', required: true })
  @ApiBody({ type: CreateTenantDto })
  @ApiResponse({
    status: 201,
    type: CreatedTenantDoc,
    description: 'The tenant and its first API key (shown once).',
  })
  @ApiResponse({ status: 401, type: ErrorBodyDoc })
  create(@Body() body: CreateTenantDto): Promise<CreatedTenantDoc> {
    return this.tenants.createTenant(body.name);
  }
}

@ApiTags('api-keys')
@ApiSecurity('apiKey')
@UseGuards(ApiKeyGuard)
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  @ApiResponse({
    status: 201,
    type: CreatedApiKeyDoc,
    description: "A new key of the caller's tenant (shown once).",
  })
  create(@Tenant() tenantId: string): Promise<CreatedApiKeyDoc> {
    return this.tenants.createKey(tenantId);
  }

  @Get()
  @ApiResponse({
    status: 200,
    type: ApiKeyListDoc,
    description: "The tenant's keys, by prefix (never the secret).",
  })
  async list(@Tenant() tenantId: string): Promise<ApiKeyListDoc> {
    return { keys: await this.tenants.listKeys(tenantId) };
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiResponse({ status: 204, description: 'Revoked.' })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  async revoke(@Tenant() tenantId: string, @Param('keyId') keyId: string): Promise<void> {
    await this.tenants.revokeKey(tenantId, keyId);
  }
}
