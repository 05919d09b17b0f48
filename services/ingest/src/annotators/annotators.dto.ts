import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CreateAnnotatorDto {
  @ApiProperty({ example: 'alice (vendor team)', maxLength: 200, minLength: 1 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

export class AnnotatorDoc {
  @ApiProperty({ example: 'ann_0mwu5l0r7xu2036asuwwr' }) annotatorId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: "The token's first characters, to tell tokens apart." }) prefix!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) revokedAt!: string | null;
}

export class CreatedAnnotatorDoc extends AnnotatorDoc {
  @ApiProperty({
    description:
      "Shown once; only its hash is stored. Header x-annotator-token: leases and submits the tenant's annotation tasks, nothing else.",
  })
  token!: string;
}

export class AnnotatorListDoc {
  @ApiProperty({ type: [AnnotatorDoc] }) annotators!: AnnotatorDoc[];
}
