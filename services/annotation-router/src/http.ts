import { createHash } from 'node:crypto';
import type { StageContext } from '@aperture/stage-runtime';
import {
  type ArgumentsHost,
  Body,
  Catch,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Module,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AnnotationError } from './errors';
import { TaskQueue } from './queue';
import { taskView } from './views';

const QUEUE = Symbol('TaskQueue');
const CONTEXT = Symbol('StageContext');

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
  type(contentType: string): Reply;
  send(body: Buffer): void;
  headersSent?: boolean;
  end(): void;
}

/**
 * The tenant of an API key, checked exactly as ingest does: the header x-api-key, looked up by its
 * SHA-256 in ingest's `api_keys` collection (read directly: this service declares no model on it, so
 * its index migration never touches ingest's indexes); a missing, unknown or revoked key is a 401.
 */
export async function tenantOf(ctx: StageContext, apiKey: unknown): Promise<string> {
  if (apiKey === undefined || apiKey === '')
    throw new AnnotationError('unauthenticated', 'missing x-api-key header');
  if (typeof apiKey !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(apiKey))
    throw new AnnotationError('unauthenticated', 'invalid API key');
  const hash = createHash('sha256').update(apiKey, 'utf8').digest('hex');
  const key = await ctx.pipeline.connection
    .collection<{ tenantId: string; revokedAt: Date | null }>('api_keys')
    .findOne({ hash });
  if (!key || key.revokedAt) throw new AnnotationError('unauthenticated', 'invalid or revoked API key');
  return key.tenantId;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new AnnotationError('invalid_request', `${field} must be a string`);
  return value;
}

/** REST for annotators' tools: lease, the derivative's bytes, submit; gold scores. */
@Controller('v1')
class TasksController {
  constructor(
    @Inject(QUEUE) private readonly queue: TaskQueue,
    @Inject(CONTEXT) private readonly ctx: StageContext,
  ) {}

  @Post('tasks/lease')
  @HttpCode(200)
  async lease(@Headers('x-api-key') apiKey: unknown, @Body() body: unknown) {
    const tenantId = await tenantOf(this.ctx, apiKey);
    if (!isObject(body)) throw new AnnotationError('invalid_request', 'the body must be a JSON object');
    const leaseSeconds = body['leaseSeconds'] ?? 0;
    if (typeof leaseSeconds !== 'number' || !Number.isInteger(leaseSeconds) || leaseSeconds < 0)
      throw new AnnotationError('invalid_request', 'leaseSeconds must be a whole number of seconds');
    const task = await this.queue.lease({
      tenantId,
      projectId: optionalString(body, 'projectId'),
      annotatorId: optionalString(body, 'annotatorId'),
      pool: optionalString(body, 'pool'),
      taskType: optionalString(body, 'taskType'),
      leaseSeconds,
    });
    if (!task) return { task: null };
    const policy = await this.ctx.policies.get(tenantId, task.projectId);
    return { task: taskView(task, policy?.annotation ?? null) };
  }

  @Post('tasks/:taskId/result')
  @HttpCode(200)
  async submit(
    @Headers('x-api-key') apiKey: unknown,
    @Param('taskId') taskId: string,
    @Body() body: unknown,
  ) {
    const tenantId = await tenantOf(this.ctx, apiKey);
    if (!isObject(body)) throw new AnnotationError('invalid_request', 'the body must be a JSON object');
    const annotatorId = optionalString(body, 'annotatorId');
    if (!annotatorId) throw new AnnotationError('invalid_request', 'annotatorId is required');
    if (body['result'] === undefined) throw new AnnotationError('invalid_request', 'result is required');
    const done = await this.queue.submit({ tenantId, taskId, annotatorId, result: body['result'] });
    return { task: taskView(done.task, null), outcome: done.outcome, agreement: done.agreement };
  }

  @Get('tasks/:taskId/image')
  async image(
    @Headers('x-api-key') apiKey: unknown,
    @Param('taskId') taskId: string,
    @Query('annotatorId') annotatorId: unknown,
    @Res() reply: Reply,
  ): Promise<void> {
    const tenantId = await tenantOf(this.ctx, apiKey);
    if (typeof annotatorId !== 'string' || !annotatorId)
      throw new AnnotationError('invalid_request', 'the query parameter annotatorId is required');
    const { bytes, contentType } = await this.queue.image(tenantId, taskId, annotatorId);
    reply.status(200).type(contentType).send(bytes);
  }

  @Get('projects/:projectId/annotators')
  async annotators(@Headers('x-api-key') apiKey: unknown, @Param('projectId') projectId: string) {
    const tenantId = await tenantOf(this.ctx, apiKey);
    if (!(await this.ctx.policies.get(tenantId, projectId)))
      throw new AnnotationError('not_found', `project ${JSON.stringify(projectId)} not found`);
    return { annotators: await this.queue.scores(tenantId, projectId) };
  }
}

/** Errors as `{"error": {"code", "message", "details"?}}`, like ingest's API. */
@Catch()
class ErrorFilter implements ExceptionFilter {
  constructor(private readonly ctx: StageContext) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Reply>();
    let status = 500;
    let body: { error: { code: string; message: string; details?: unknown } } = {
      error: { code: 'internal', message: 'internal error' },
    };
    if (exception instanceof AnnotationError) {
      status = exception.httpStatus;
      body = {
        error: {
          code: exception.code,
          message: exception.message,
          ...(exception.details && { details: exception.details }),
        },
      };
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const response = exception.getResponse();
      if (isObject(response) && isObject(response['error'])) body = response as typeof body;
      else
        body = {
          error: {
            code:
              status === 404
                ? 'not_found'
                : status === 400
                  ? 'invalid_request'
                  : status >= 500
                    ? 'internal'
                    : 'invalid_request',
            message: exception.message,
          },
        };
    } else if (isObject(exception) && typeof exception['status'] === 'number' && exception['status'] < 500) {
      status = exception['status'];
      body = { error: { code: 'invalid_request', message: 'bad request' } };
    } else {
      this.ctx.log.error({ err: exception }, 'request failed');
    }
    if (reply.headersSent) return reply.end();
    reply.status(status).json(body);
  }
}

@Module({})
export class AnnotationHttpModule {
  static register(ctx: StageContext, queue = new TaskQueue(ctx)): DynamicModule {
    return {
      module: AnnotationHttpModule,
      controllers: [TasksController],
      providers: [
        { provide: QUEUE, useValue: queue },
        { provide: CONTEXT, useValue: ctx },
        { provide: APP_FILTER, useValue: new ErrorFilter(ctx) },
      ],
    };
  }
}
