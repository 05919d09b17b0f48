import { Tenant } from '@aperture/runtime';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { context } from '@opentelemetry/api';
import {
  DEFAULT_PAGE_LIMIT,
  IMAGE_STATUSES,
  MAX_PAGE_LIMIT,
  parseImageListQuery,
} from '../domain/pagination';
import { ApiKeyGuard } from '../http/auth';
import { BatchDoc, CreateBatchDto, ErrorBodyDoc, ImageListDoc, UploadedImagesDoc } from '../http/dto';
import { type CampaignDeclaration, imageConsentIds, ImagesService } from '../images/images.service';
import { forEachUploadedFile } from '../images/multipart';
import { ApiError } from '../errors';
import type { HttpRequest, HttpResponse } from '../http/types';
import type { BatchView, ImageView } from '../views';
import { BatchesService } from './batches.service';

/**
 * A campaign upload's declarations, from the multipart text fields sent before the file
 * (campaignId, category, setting, tags as a comma-separated list) and the collector's own token.
 */
export function campaignDeclaration(
  fields: Readonly<Record<string, string>>,
  collectorToken: string | undefined,
): CampaignDeclaration | undefined {
  const campaignId = (fields['campaignId'] ?? '').trim();
  if (campaignId === '') {
    if (fields['category'] || fields['setting'] || fields['tags'])
      throw ApiError.invalid('category, setting and tags are campaign fields: send campaignId before them', [
        { field: 'campaignId', message: 'is required with campaign attributes' },
      ]);
    return undefined;
  }
  return {
    campaignId,
    collectorToken: collectorToken ?? '',
    category: (fields['category'] ?? '').trim(),
    setting: (fields['setting'] ?? '').trim(),
    tags: (fields['tags'] ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ''),
  };
}

/** ?verdict=sync asks for quality's verdict in the answer; anything else but absent is a 400. */
export function wantsSyncVerdict(verdict: unknown): boolean {
  if (verdict === undefined) return false;
  if (verdict === 'sync') return true;
  throw ApiError.invalid('verdict must be "sync" (or absent)', [
    { field: 'verdict', message: 'must be "sync"' },
  ]);
}

@ApiTags('batches')
@ApiSecurity('apiKey')
@UseGuards(ApiKeyGuard)
@Controller('v1/batches')
export class BatchesController {
  constructor(
    @Inject(BatchesService) private readonly batches: BatchesService,
    @Inject(ImagesService) private readonly images: ImagesService,
  ) {}

  @Post()
  @ApiBody({ type: CreateBatchDto })
  @ApiResponse({ status: 201, type: BatchDoc, description: 'Opened.' })
  @ApiResponse({
    status: 200,
    type: BatchDoc,
    description: 'The batch opened before with this idempotency key.',
  })
  @ApiResponse({ status: 404, type: ErrorBodyDoc, description: 'No such project.' })
  @ApiResponse({
    status: 409,
    type: ErrorBodyDoc,
    description: 'Idempotency key reused for a different request.',
  })
  async create(
    @Tenant() tenantId: string,
    @Body() body: CreateBatchDto,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<BatchView> {
    const { batch, created } = await this.batches.create(tenantId, body);
    response.status(created ? 201 : 200);
    return batch;
  }

  @Post(':id/images')
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: {
        campaignId: {
          type: 'string',
          description: 'a campaign upload (send the text fields before the files)',
        },
        category: { type: 'string', description: "campaign: a class of the project's label schema" },
        setting: { type: 'string', enum: ['indoor', 'outdoor'] },
        tags: { type: 'string', description: 'campaign: comma-separated tags' },
        consentIds: {
          type: 'string',
          description: "consent ids the following files rely on besides the batch's, comma-separated",
        },
        file: { type: 'array', items: { type: 'string', format: 'binary' } },
      },
    },
  })
  @ApiQuery({
    name: 'verdict',
    required: false,
    enum: ['sync'],
    description: "quality's verdict in the answer",
  })
  @ApiResponse({ status: 201, type: UploadedImagesDoc })
  @ApiResponse({
    status: 400,
    type: ErrorBodyDoc,
    description:
      'malformed_multipart (a body that is not whole multipart), invalid_request (no file, an empty file, a bad field)',
  })
  @ApiResponse({ status: 404, type: ErrorBodyDoc, description: 'not_found (the batch), campaign_not_found' })
  @ApiResponse({
    status: 503,
    type: ErrorBodyDoc,
    description: 'unavailable: the campaigns service did not answer',
  })
  @ApiResponse({
    status: 409,
    type: ErrorBodyDoc,
    description: 'batch_closed, campaign_closed, campaign_cell_full, campaign_no_cell, collector_cap_reached',
  })
  @ApiResponse({ status: 403, type: ErrorBodyDoc, description: 'collector_not_verified' })
  @ApiResponse({ status: 413, type: ErrorBodyDoc, description: 'too_large' })
  @ApiResponse({
    status: 415,
    type: ErrorBodyDoc,
    description: 'unsupported_media_type (sniffed from the bytes)',
  })
  async upload(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Req() request: HttpRequest,
    @Query('verdict') verdict: unknown,
  ): Promise<{ images: ImageView[] }> {
    const syncVerdict = wantsSyncVerdict(verdict);
    const header = request.headers['x-collector-token'];
    const collectorToken = typeof header === 'string' ? header : undefined;
    const batch = await this.batches.requireOpen(tenantId, id);
    const images: ImageView[] = [];
    // Busboy's events run outside the request's async context; carry it over so each image's span
    // (and the trace headers of its event) continue the upload's HTTP span.
    const requestContext = context.active();
    try {
      await forEachUploadedFile(request, async (file) => {
        images.push(
          await context.with(requestContext, () =>
            this.images.upload(batch, file.filename, file.stream, {
              campaign: campaignDeclaration(file.fields, collectorToken),
              consentIds: imageConsentIds((file.fields['consentIds'] ?? '').split(',')),
              syncVerdict,
            }),
          ),
        );
      });
    } catch (error) {
      if (error instanceof ApiError && images.length > 0) {
        const accepted = images.map((image) => image.imageId).join(', ');
        throw new ApiError(
          error.code,
          `${error.message} (accepted before it in this request: ${accepted})`,
          error.details,
        );
      }
      throw error;
    }
    if (images.length === 0) throw ApiError.invalid('no file: send images in multipart fields named "file"');
    return { images };
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiResponse({ status: 200, type: BatchDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  close(@Tenant() tenantId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.close(tenantId, id);
  }

  @Get(':id')
  @ApiResponse({ status: 200, type: BatchDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  get(@Tenant() tenantId: string, @Param('id') id: string): Promise<BatchView> {
    return this.batches.get(tenantId, id);
  }

  @Get(':id/images')
  @ApiQuery({ name: 'status', required: false, enum: IMAGE_STATUSES })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    schema: { type: 'string', pattern: '^[a-z]{3}_[a-z0-9]{1,64}$' },
    description: 'nextCursor of the previous page.',
  })
  @ApiResponse({ status: 200, type: ImageListDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  list(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ images: ImageView[]; nextCursor: string | null }> {
    return this.images.list(tenantId, id, parseImageListQuery(query));
  }
}
