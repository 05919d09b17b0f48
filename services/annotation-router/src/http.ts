import { isObject } from '@aperture/contracts';
import { ApiError, Tenant } from '@aperture/runtime';
import { annotatorFor, type Caller, CallerOf, Callers, type StageContext } from '@aperture/stage-runtime';
import {
  Body,
  Controller,
  type DynamicModule,
  Get,
  HttpCode,
  Inject,
  Module,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { curatedImageBytes, curatedPage } from './dataset';
import { projectReport } from './report.source';
import { fromCvatXml, fromLabelStudio, type ImportedResult, toLabelStudioTasks } from './domain/interop';
import type { AnnotationContext, TaskQueue } from './queue';
import { imageUrl, taskView } from './views';

/** The task routes: the tenant's key, an annotator's own token, or ingest's console (service identity). */
const TaskCallers = () => Callers('tenant', 'annotator', 'service');

const QUEUE = Symbol('TaskQueue');
const CONTEXT = Symbol('StageContext');

interface Reply {
  status(code: number): Reply;
  json(body: unknown): void;
  type(contentType: string): Reply;
  send(body: Buffer): void;
}

function optionalString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ApiError('invalid_request', `${field} must be a string`);
  return value;
}

function leaseSecondsOf(body: Record<string, unknown>): number {
  const leaseSeconds = body['leaseSeconds'] ?? 0;
  if (typeof leaseSeconds !== 'number' || !Number.isInteger(leaseSeconds) || leaseSeconds < 0)
    throw new ApiError('invalid_request', 'leaseSeconds must be a whole number of seconds');
  return leaseSeconds;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_request', 'content is not valid JSON');
  }
}

/**
 * REST for annotators' tools: lease, the derivative's bytes, submit; gold scores. Everything but
 * the task routes is the tenant's (the report also for ingest's console).
 */
@Controller('v1')
@Callers('tenant')
class TasksController {
  constructor(
    @Inject(QUEUE) private readonly queue: TaskQueue,
    @Inject(CONTEXT) private readonly ctx: StageContext,
  ) {}

  @Post('tasks/lease')
  @HttpCode(200)
  @TaskCallers()
  async lease(@Tenant() tenantId: string, @CallerOf() caller: Caller, @Body() body: unknown) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
    const leaseSeconds = leaseSecondsOf(body);
    const task = await this.queue.lease({
      tenantId,
      projectId: optionalString(body, 'projectId'),
      annotatorId: annotatorFor(caller, optionalString(body, 'annotatorId')),
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
  @TaskCallers()
  async submit(
    @Tenant() tenantId: string,
    @CallerOf() caller: Caller,
    @Param('taskId') taskId: string,
    @Body() body: unknown,
  ) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
    const annotatorId = annotatorFor(caller, optionalString(body, 'annotatorId'));
    if (!annotatorId) throw new ApiError('invalid_request', 'annotatorId is required');
    if (body['result'] === undefined) throw new ApiError('invalid_request', 'result is required');
    const done = await this.queue.submit({ tenantId, taskId, annotatorId, result: body['result'] });
    return { task: taskView(done.task, null), outcome: done.outcome, agreement: done.agreement };
  }

  @Get('tasks/:taskId/image')
  @TaskCallers()
  async image(
    @Tenant() tenantId: string,
    @CallerOf() caller: Caller,
    @Param('taskId') taskId: string,
    @Query('annotatorId') annotatorId: unknown,
    @Res() reply: Reply,
  ): Promise<void> {
    const annotator = annotatorFor(caller, typeof annotatorId === 'string' ? annotatorId : '');
    if (!annotator) throw new ApiError('invalid_request', 'the query parameter annotatorId is required');
    const { bytes, contentType } = await this.queue.image(tenantId, taskId, annotator);
    reply.status(200).type(contentType).send(bytes);
  }

  /** Leases up to `limit` tasks to `annotatorId` and answers them as Label Studio task JSON. */
  @Post('projects/:projectId/tasks/export')
  @HttpCode(200)
  async exportTasks(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Body() body: unknown,
    @Req() request: { protocol: string; headers: Record<string, string | string[] | undefined> },
  ) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
    const format = optionalString(body, 'format') || 'label-studio';
    if (format !== 'label-studio') throw new ApiError('invalid_request', 'format must be label-studio');
    const limit = body['limit'] ?? 100;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new ApiError('invalid_request', 'limit must be a whole number from 1 to 1000');
    const leaseSeconds = leaseSecondsOf(body);
    const tasks = await this.queue.leaseMany(
      {
        tenantId,
        projectId,
        annotatorId: optionalString(body, 'annotatorId'),
        pool: optionalString(body, 'pool'),
        leaseSeconds,
      },
      limit,
    );
    const base = `${request.protocol}://${String(request.headers['host'] ?? 'localhost')}`;
    return toLabelStudioTasks(
      tasks.map((task) => ({
        taskId: task._id,
        imageId: task.imageId,
        projectId: task.projectId,
        width: task.width,
        height: task.height,
        imageUrl: `${base}${imageUrl(task)}`,
        leaseExpiresAt: task.leaseExpiresAt?.toISOString() ?? '',
      })),
    );
  }

  /** Submits the results of a Label Studio JSON or CVAT for images 1.1 XML export, each on its own. */
  @Post('projects/:projectId/results/import')
  @HttpCode(200)
  async importResults(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Body() body: unknown,
  ) {
    if (!isObject(body)) throw new ApiError('invalid_request', 'the body must be a JSON object');
    const policy = await this.ctx.policies.get(tenantId, projectId);
    if (!policy) throw new ApiError('not_found', `project ${JSON.stringify(projectId)} not found`);
    const annotatorId = optionalString(body, 'annotatorId');
    if (!annotatorId) throw new ApiError('invalid_request', 'annotatorId is required (the lease holder)');
    const format = optionalString(body, 'format');
    const content = body['content'];
    let found: ImportedResult[];
    if (format === 'label-studio')
      found = fromLabelStudio(
        typeof content === 'string' ? parseJson(content) : content,
        policy.annotation.taskType,
      );
    else if (format === 'cvat') {
      if (typeof content !== 'string')
        throw new ApiError('invalid_request', 'content must be the XML text of a CVAT for images 1.1 export');
      found = fromCvatXml(content, policy.annotation.taskType, policy.annotation.keypoints);
    } else throw new ApiError('invalid_request', 'format must be label-studio or cvat');
    const results = [];
    for (const item of found) {
      if ('error' in item) {
        results.push({ taskId: item.taskId, error: { code: 'invalid_request', message: item.error } });
        continue;
      }
      try {
        const done = await this.queue.submit({
          tenantId,
          projectId,
          taskId: item.taskId,
          annotatorId,
          result: item.result,
        });
        results.push({ taskId: item.taskId, outcome: done.outcome });
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        results.push({
          taskId: item.taskId,
          error: {
            code: error.code,
            message: error.message,
            ...(error.details && { details: error.details }),
          },
        });
      }
    }
    const failed = results.filter((result) => 'error' in result).length;
    return { imported: results.length - failed, failed, results };
  }

  /** The project's curated records (typed labels, split, derivative), a page at a time. */
  @Get('projects/:projectId/curated')
  async curated(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Query('cursor') cursor: unknown,
    @Query('limit') limit: unknown,
    @Query('split') split: unknown,
  ) {
    const size = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > 500)
      throw new ApiError('invalid_request', 'limit must be a whole number from 1 to 500');
    if (split !== undefined && !['train', 'val', 'test'].includes(split as string))
      throw new ApiError('invalid_request', 'split must be train, val or test');
    return curatedPage(this.ctx, {
      tenantId,
      projectId,
      limit: size,
      ...(typeof cursor === 'string' && cursor && { cursor }),
      ...(typeof split === 'string' && { split }),
    });
  }

  @Get('projects/:projectId/curated/:imageId/image')
  async curatedImage(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Param('imageId') imageId: string,
    @Res() reply: Reply,
  ): Promise<void> {
    const { bytes, contentType } = await curatedImageBytes(this.ctx, tenantId, projectId, imageId);
    reply.status(200).type(contentType).send(bytes);
  }

  /** The dataset report (distributions, rejections, duplicates, classes, agreement, targets) as JSON. */
  @Get('projects/:projectId/report')
  @Callers('tenant', 'service')
  async report(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Query('batchId') batchId: unknown,
  ) {
    return projectReport(
      this.ctx,
      tenantId,
      projectId,
      typeof batchId === 'string' && batchId ? batchId : undefined,
    );
  }

  @Get('projects/:projectId/annotators')
  async annotators(@Tenant() tenantId: string, @Param('projectId') projectId: string) {
    if (!(await this.ctx.policies.get(tenantId, projectId)))
      throw new ApiError('not_found', `project ${JSON.stringify(projectId)} not found`);
    return { annotators: await this.queue.scores(tenantId, projectId) };
  }
}

@Module({})
export class AnnotationHttpModule {
  static register(ctx: AnnotationContext): DynamicModule {
    return {
      module: AnnotationHttpModule,
      controllers: [TasksController],
      providers: [
        { provide: QUEUE, useValue: ctx.queue },
        { provide: CONTEXT, useValue: ctx },
      ],
    };
  }
}
