import { Tenant } from '@aperture/runtime';
import { policyJsonSchema } from '@aperture/policy';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, UseGuards } from '@nestjs/common';
import { ApiBody, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../http/auth';
import { CreateProjectDto, ErrorBodyDoc, ProjectDoc } from '../http/dto';
import type { ProjectView } from '../views';
import { ProjectsService } from './projects.service';

@ApiTags('projects')
@ApiSecurity('apiKey')
@UseGuards(ApiKeyGuard)
@Controller('v1/projects')
export class ProjectsController {
  constructor(@Inject(ProjectsService) private readonly projects: ProjectsService) {}

  @Post()
  @HttpCode(201)
  @ApiBody({ type: CreateProjectDto })
  @ApiResponse({ status: 201, type: ProjectDoc })
  @ApiResponse({
    status: 400,
    type: ErrorBodyDoc,
    description: 'invalid_request, with every bad policy field',
  })
  @ApiResponse({
    status: 409,
    type: ErrorBodyDoc,
    description: 'conflict: the tenant has a project of that name',
  })
  create(@Tenant() tenantId: string, @Body() body: CreateProjectDto): Promise<ProjectView> {
    return this.projects.create(tenantId, body.name, body.policy);
  }

  @Get(':id')
  @ApiResponse({ status: 200, type: ProjectDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  get(@Tenant() tenantId: string, @Param('id') id: string): Promise<ProjectView> {
    return this.projects.get(tenantId, id);
  }

  @Put(':id/policy')
  @ApiBody({ schema: policyJsonSchema(), description: 'The whole policy.' })
  @ApiResponse({ status: 200, type: ProjectDoc })
  @ApiResponse({ status: 400, type: ErrorBodyDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  replacePolicy(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Body() policy: unknown,
  ): Promise<ProjectView> {
    return this.projects.replacePolicy(tenantId, id, policy);
  }
}
