import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { policyJsonSchema } from '@aperture/policy';
import { IMAGE_STATUSES } from '../domain/pagination';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';

// Request bodies (validated by the global ValidationPipe) and the documented answers.

export class CreateTenantDto {
  @ApiProperty({ example: 'Acme Robotics', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

export class CreateProjectDto {
  @ApiProperty({ example: 'warehouse-shelves', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    description:
      'Per-stage settings; missing fields take their defaults. standardize is the output spec: maxLongSide, ' +
      'width, height, fit (contain|cover|pad|exact), aspectRatio ("W:H"), upscale, background ("#rrggbb"), ' +
      'alpha (keep|flatten), format (jpeg|webp|png|avif), quality, bitDepth (8|16, 16 with png), ' +
      'animated (first-frame|reject), keepMetadata (copyright|artist|description), thumbnailSize.',
    example: {
      quality: { minWidth: 640, minHeight: 480 },
      standardize: { maxLongSide: 1024, format: 'webp', quality: 80, keepMetadata: ['copyright'] },
      compliance: { requireConsent: true },
    },
    ...policyJsonSchema(),
  })
  @IsOptional()
  @IsObject()
  policy?: Record<string, unknown>;
}

export class DeclarationsDto {
  @ApiPropertyOptional({ example: 'EU', description: 'Where the images were collected.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  region?: string;

  @ApiPropertyOptional({ example: ['consent-2024-001'], type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  consentIds?: string[];
}

export class CreateBatchDto {
  @ApiProperty({ example: 'prj_0lz3k2j8qabc123def456' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  projectId!: string;

  @ApiPropertyOptional({
    example: 'upload-2024-06-01',
    description: 'Same key from the same tenant: the same batch again (200 instead of 201).',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1 to 200 printable ASCII characters without spaces' })
  idempotencyKey?: string;

  @ApiPropertyOptional({ type: DeclarationsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => DeclarationsDto)
  declarations?: DeclarationsDto;
}

export class ErrorDetailDoc {
  @ApiProperty() field!: string;
  @ApiProperty() message!: string;
}

export class ErrorDoc {
  @ApiProperty({ example: 'not_found' }) code!: string;
  @ApiProperty({ example: 'batch "bat_x" not found' }) message!: string;
  @ApiPropertyOptional({ type: [ErrorDetailDoc] }) details?: ErrorDetailDoc[];
}

export class ErrorBodyDoc {
  @ApiProperty({ type: ErrorDoc }) error!: ErrorDoc;
}

export class CreatedTenantDoc {
  @ApiProperty() tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'Shown once; only its hash is stored.' }) apiKey!: string;
}

export class CreatedApiKeyDoc {
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'Shown once; only its hash is stored.' }) apiKey!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() createdAt!: string;
}

export class ApiKeyDoc {
  @ApiProperty() keyId!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
}

export class ApiKeyListDoc {
  @ApiProperty({ type: [ApiKeyDoc] }) keys!: ApiKeyDoc[];
}

export class ProjectDoc {
  @ApiProperty() projectId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) policy!: Record<string, unknown>;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class BatchCountsDoc {
  @ApiProperty() uploaded!: number;
  @ApiProperty() processing!: number;
  @ApiProperty() pendingAnnotation!: number;
  @ApiProperty() curated!: number;
  @ApiProperty() rejected!: number;
  @ApiProperty({ description: 'images erased after upload (by request or a revoked consent)' })
  erased!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { too_small: 2 } })
  rejectedByReason!: Record<string, number>;
}

export class CoverageCheckDoc {
  @ApiProperty({ example: 'minBucketShare timeOfDay:night' }) target!: string;
  @ApiProperty() required!: number;
  @ApiProperty() actual!: number;
  @ApiProperty({ description: 'the batch holds this target' }) met!: boolean;
  @ApiProperty({ example: '25 % of the images are night (timeOfDay); at least 20 % asked' }) message!: string;
}

export class BatchContentDoc {
  @ApiProperty({ description: "cleared images counted into the batch's content coverage" }) images!: number;
  @ApiProperty({
    type: [CoverageCheckDoc],
    description:
      "the project policy's content targets (dataset.minBucketShare, targets.maxSceneClusterShare, targets.minBatchNovelty)",
  })
  targets!: CoverageCheckDoc[];
}

export class BatchDoc {
  @ApiProperty() batchId!: string;
  @ApiProperty() projectId!: string;
  @ApiProperty({ enum: ['open', 'closed', 'complete'] }) state!: string;
  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty({ type: DeclarationsDto }) declarations!: DeclarationsDto;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
  @ApiProperty({ type: BatchCountsDoc }) counts!: BatchCountsDoc;
  @ApiProperty({ type: BatchContentDoc }) content!: BatchContentDoc;
}

export class ReasonDoc {
  @ApiProperty({ example: 'too_small' }) code!: string;
  @ApiProperty() message!: string;
}

export class RawBlobDoc {
  @ApiProperty() key!: string;
  @ApiProperty({ example: 'image/jpeg', description: 'Sniffed from the bytes.' }) contentType!: string;
  @ApiProperty() sizeBytes!: number;
  @ApiProperty() sha256!: string;
}

export class ImageDoc {
  @ApiProperty() imageId!: string;
  @ApiProperty() batchId!: string;
  @ApiProperty() projectId!: string;
  @ApiProperty() filename!: string;
  @ApiProperty({ enum: IMAGE_STATUSES }) status!: string;
  @ApiProperty() stage!: string;
  @ApiProperty({ type: [ReasonDoc] }) reasons!: ReasonDoc[];
  @ApiProperty({ type: RawBlobDoc }) raw!: RawBlobDoc;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) stages!: Record<string, unknown>;
}

export class ImageListDoc {
  @ApiProperty({ type: [ImageDoc] }) images!: ImageDoc[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as ?cursor= for the next page; null on the last.',
  })
  nextCursor!: string | null;
}

export class UploadedImagesDoc {
  @ApiProperty({ type: [ImageDoc] }) images!: ImageDoc[];
}
