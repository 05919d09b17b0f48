import { Tenant } from '@aperture/runtime';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiParam, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../http/auth';
import { ErrorBodyDoc } from '../http/dto';
import { AnnotatorListDoc, CreateAnnotatorDto, CreatedAnnotatorDoc } from './annotators.dto';
import { AnnotatorsService } from './annotators.service';

/** The tenant's annotators: their own tokens, scoped to annotation tasks (SECURITY.md). */
@ApiTags('annotators')
@ApiSecurity('apiKey')
@UseGuards(ApiKeyGuard)
@ApiResponse({ status: 401, type: ErrorBodyDoc, description: 'Missing, unknown or revoked API key.' })
@ApiResponse({ status: 403, type: ErrorBodyDoc, description: 'A console session that may not do this.' })
@ApiResponse({ status: 429, type: ErrorBodyDoc, description: "The tenant's request budget is used up." })
@Controller('v1/annotators')
export class AnnotatorsController {
  constructor(@Inject(AnnotatorsService) private readonly annotators: AnnotatorsService) {}

  @Post()
  @HttpCode(201)
  @ApiBody({ type: CreateAnnotatorDto })
  @ApiResponse({
    status: 201,
    type: CreatedAnnotatorDoc,
    description: 'A new annotator of the tenant and its token (shown once).',
  })
  @ApiResponse({ status: 400, type: ErrorBodyDoc, description: 'A missing or invalid name.' })
  @ApiResponse({ status: 413, type: ErrorBodyDoc, description: 'The body is too large.' })
  create(@Tenant() tenantId: string, @Body() body: CreateAnnotatorDto): Promise<CreatedAnnotatorDoc> {
    return this.annotators.create(tenantId, body.name);
  }

  @Get()
  @ApiResponse({
    status: 200,
    type: AnnotatorListDoc,
    description: "The tenant's annotators (never a token).",
  })
  async list(@Tenant() tenantId: string): Promise<AnnotatorListDoc> {
    return { annotators: await this.annotators.list(tenantId) };
  }

  @Delete(':annotatorId')
  @HttpCode(204)
  @ApiParam({ name: 'annotatorId', schema: { type: 'string', maxLength: 200 } })
  @ApiResponse({ status: 204, description: 'Revoked: its token and console sessions stop working at once.' })
  @ApiResponse({ status: 404, type: ErrorBodyDoc, description: 'No such annotator of the tenant.' })
  async revoke(@Tenant() tenantId: string, @Param('annotatorId') annotatorId: string): Promise<void> {
    await this.annotators.revoke(tenantId, annotatorId);
  }
}
