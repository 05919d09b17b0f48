import { Tenant } from '@aperture/runtime';
import { Controller, Get, Inject, Param, UseGuards } from '@nestjs/common';
import { ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../http/auth';
import { ErrorBodyDoc, ImageDoc } from '../http/dto';
import type { ImageView } from '../views';
import { ImagesService } from './images.service';

@ApiTags('images')
@ApiSecurity('apiKey')
@UseGuards(ApiKeyGuard)
@Controller('v1/images')
export class ImagesController {
  constructor(@Inject(ImagesService) private readonly images: ImagesService) {}

  @Get(':id')
  @ApiResponse({ status: 200, type: ImageDoc })
  @ApiResponse({ status: 404, type: ErrorBodyDoc })
  get(@Tenant() tenantId: string, @Param('id') id: string): Promise<ImageView> {
    return this.images.get(tenantId, id);
  }
}
