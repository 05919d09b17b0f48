import { Tenant } from '@aperture/runtime';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Injectable,
  type OnModuleDestroy,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiError } from '../errors';
import { AnnotatorsService } from '../annotators/annotators.service';
import { AnnotatorOf, ApiKeyGuard, Role } from '../http/auth';
import type { HttpRequest, HttpResponse } from '../http/types';
import { TenantsService } from '../tenants/tenants.service';
import { type ImageBlobKind, imageBlobKinds, ConsoleService } from './console.service';
import { campaignSnapshot } from './campaign-view';
import type { ActingFor, ForwardedResponse } from './service.repository';
import { ConsoleSessions } from './sessions.service';
import {
  type ConsoleRole,
  consoleRoles,
  cookieValue,
  SESSION_COOKIE,
  sessionCookie,
  signInRefusal,
} from './session';

/** How often a stream looks for a change (server side; the page is told only of changes). */
const BATCH_STREAM_MS = 1_000;
const LIST_STREAM_MS = 2_000;
/** A campaign's cells and collectors: campaigns' REST read again every second, changes sent. */
const CAMPAIGN_STREAM_MS = 1_000;
/** How often a stream checks that its key is still valid (a revoked key ends it). */
const STREAM_REAUTH_MS = 30_000;
const KEEP_ALIVE_MS = 15_000;

type Request = HttpRequest & { secure?: boolean };

/** Whom ingest forwards a request for: the authenticated tenant, and an annotator session's annotator. */
const actingFor = (tenantId: string, annotatorId: string): ActingFor => ({ tenantId, annotatorId });

/** Open server-sent-event streams, ended when the app shuts down (or they would hold it open). */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly open = new Set<() => void>();

  constructor(
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(ConsoleSessions) private readonly sessions: ConsoleSessions,
  ) {}

  /** Checks again, as ApiKeyGuard did, that the request's key or console session is still live. */
  private reauthenticate(request: Request): Promise<unknown> {
    const header = request.headers['x-api-key'];
    return header !== undefined
      ? this.tenants.authenticate(header)
      : this.sessions.resolve(cookieValue(request.headers.cookie, SESSION_COOKIE));
  }

  /**
   * Sends `read()` as an event whenever its JSON changes. The database has no change feed here
   * (FerretDB), so the server looks every `everyMs`; the browser holds one connection and hears
   * only of changes, instead of polling.
   */
  serve(request: Request, response: HttpResponse, everyMs: number, read: () => Promise<unknown>) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let last = '';
    let timer: NodeJS.Timeout | undefined;
    let lastWrite = Date.now();
    let lastAuth = Date.now();
    const end = () => {
      clearTimeout(timer);
      this.open.delete(end);
      response.end();
    };
    this.open.add(end);
    request.on('close', end);
    const write = (text: string) => {
      response.write(text);
      lastWrite = Date.now();
    };
    const tick = async () => {
      try {
        if (Date.now() - lastAuth > STREAM_REAUTH_MS) {
          await this.reauthenticate(request);
          lastAuth = Date.now();
        }
        const data = JSON.stringify(await read());
        if (data !== last) write(`data: ${data}\n\n`);
        else if (Date.now() - lastWrite > KEEP_ALIVE_MS) write(': keep-alive\n\n');
        last = data;
      } catch (error) {
        const body =
          error instanceof ApiError
            ? { code: error.code, message: error.message }
            : { code: 'internal', message: 'internal error' };
        write(`event: failure\ndata: ${JSON.stringify(body)}\n\n`);
        if (error instanceof ApiError && error.code !== 'rate_limited') return end();
      }
      if (this.open.has(end)) timer = setTimeout(() => void tick(), everyMs);
    };
    void tick();
  }

  onModuleDestroy(): void {
    for (const end of [...this.open]) end();
  }
}

/** Sends a neighbour's (annotation-router's, campaigns') answer on as it came (status, type, body). */
function relay(response: HttpResponse, forwarded: ForwardedResponse): void {
  response.status(forwarded.status);
  response.setHeader('content-type', forwarded.contentType);
  response.end(forwarded.body);
}

/**
 * The console's session: a client signs in with the tenant's API key, an annotator with its own
 * annotator token; the answer sets an HttpOnly cookie holding a random session id (the session
 * itself is server-side). Only the console page's own JSON sign-in is taken (login CSRF).
 */
@ApiExcludeController()
@Controller('console/session')
export class ConsoleSessionController {
  constructor(
    @Inject(TenantsService) private readonly tenants: TenantsService,
    @Inject(AnnotatorsService) private readonly annotators: AnnotatorsService,
    @Inject(ConsoleSessions) private readonly sessions: ConsoleSessions,
  ) {}

  @Post()
  @HttpCode(200)
  async open(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<{ tenantId: string; role: ConsoleRole; annotatorId?: string }> {
    const refusal = signInRefusal(request.headers);
    if (refusal) throw new ApiError('forbidden', refusal);
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const given = (field: string) => typeof input[field] === 'string' && input[field] !== '';
    const role = (input['role'] ?? (given('annotatorToken') ? 'annotator' : 'client')) as ConsoleRole;
    if (!consoleRoles.includes(role))
      throw ApiError.invalid('invalid session', [
        { field: 'role', message: `must be one of ${consoleRoles.join(', ')}` },
      ]);
    // Secure where the console is served over TLS (directly, or behind a proxy that says so).
    const secure = request.secure === true || request.headers['x-forwarded-proto'] === 'https';
    let opened: { tenantId: string; role: ConsoleRole; annotatorId?: string };
    let sessionId: string;
    if (role === 'annotator') {
      // An annotator signs in with its own token, never the tenant's key, and cannot become client.
      if (!given('annotatorToken'))
        throw ApiError.unauthenticated(
          'missing annotatorToken: an annotator signs in with its annotator token',
        );
      const annotator = await this.annotators.authenticate(input['annotatorToken']);
      sessionId = await this.sessions.open({ ...annotator, role });
      opened = { tenantId: annotator.tenantId, role, annotatorId: annotator.annotatorId };
    } else {
      // Signing in without a key is unauthenticated, as every other route without one.
      if (!given('apiKey')) throw ApiError.unauthenticated('missing apiKey: sign in with the tenant API key');
      const principal = await this.tenants.authenticate(input['apiKey']);
      sessionId = await this.sessions.open({ tenantId: principal.tenantId, role, keyId: principal.keyId });
      opened = { tenantId: principal.tenantId, role };
    }
    response.setHeader('set-cookie', sessionCookie(sessionId, secure));
    return opened;
  }

  @Get()
  @UseGuards(ApiKeyGuard)
  current(@Tenant() tenantId: string, @Role() role: ConsoleRole, @AnnotatorOf() annotatorId: string) {
    return { tenantId, role, ...(annotatorId && { annotatorId }) };
  }

  /** Signs out: the server-side session is deleted, so the cookie is worthless even if kept. */
  @Delete()
  @UseGuards(ApiKeyGuard)
  @HttpCode(204)
  async close(@Req() request: Request, @Res({ passthrough: true }) response: HttpResponse): Promise<void> {
    await this.sessions.close(cookieValue(request.headers.cookie, SESSION_COOKIE));
    response.setHeader('set-cookie', sessionCookie(undefined, false));
  }
}

/** What the console's pages read that the public API does not answer (lists, streams, bytes, neighbours). */
@ApiExcludeController()
@UseGuards(ApiKeyGuard)
@Controller('console/api')
export class ConsoleApiController {
  constructor(
    @Inject(ConsoleService) private readonly console: ConsoleService,
    @Inject(EventStreams) private readonly streams: EventStreams,
  ) {}

  @Get('projects')
  async projects(@Tenant() tenantId: string) {
    return { projects: await this.console.listProjects(tenantId) };
  }

  @Get('batches')
  async batches(@Tenant() tenantId: string, @Query('projectId') projectId: unknown) {
    return {
      batches: await this.console.listBatches(
        tenantId,
        typeof projectId === 'string' ? projectId : undefined,
      ),
    };
  }

  /** The batch list, live: an event whenever a batch's counts change. */
  @Get('batches/events')
  batchesEvents(
    @Tenant() tenantId: string,
    @Query('projectId') projectId: unknown,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): void {
    const project = typeof projectId === 'string' && projectId ? projectId : undefined;
    this.streams.serve(request, response, LIST_STREAM_MS, async () => ({
      batches: await this.console.listBatches(tenantId, project),
    }));
  }

  @Get('batches/:id')
  batch(@Tenant() tenantId: string, @Param('id') id: string) {
    return this.console.batch(tenantId, id);
  }

  /** One batch, live. */
  @Get('batches/:id/events')
  async batchEvents(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.console.batch(tenantId, id); // a 404 before the stream opens
    this.streams.serve(request, response, BATCH_STREAM_MS, () => this.console.batch(tenantId, id));
  }

  @Get('images/:id')
  image(@Tenant() tenantId: string, @Role() role: ConsoleRole, @Param('id') id: string) {
    return this.console.imageDetail(tenantId, id, role);
  }

  @Get('images/:id/audit')
  async audit(@Tenant() tenantId: string, @Param('id') id: string) {
    return { entries: await this.console.auditTrail(tenantId, id) };
  }

  /** thumbnail | after | raw, with an entity tag and, the keys being written once, a year's caching. */
  @Get('images/:id/:kind')
  async imageBytes(
    @Tenant() tenantId: string,
    @Role() role: ConsoleRole,
    @Param('id') id: string,
    @Param('kind') kind: string,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): Promise<void> {
    if (!imageBlobKinds.includes(kind as ImageBlobKind))
      throw new ApiError('not_found', `no such image view (${imageBlobKinds.join(', ')})`);
    const blob = await this.console.imageBlob(tenantId, id, kind as ImageBlobKind, role);
    const etag = `"${blob.key.replace(/[^A-Za-z0-9._/-]/g, '_')}"`;
    // private: tenant data, never kept by a shared cache; immutable: the key never changes its bytes.
    response.setHeader('cache-control', 'private, max-age=31536000, immutable');
    response.setHeader('etag', etag);
    if (request.headers['if-none-match'] === etag) {
      response.status(304).end();
      return;
    }
    response.setHeader('content-type', blob.contentType);
    response.status(200).end(blob.bytes);
  }

  // Tasks (annotation-router): forwarded as ingest for the tenant, and as the annotator of an
  // annotator session (annotation-router then ignores any other annotatorId).
  @Post('tasks/lease')
  async lease(
    @Tenant() tenantId: string,
    @AnnotatorOf() annotator: string,
    @Body() body: unknown,
    @Res() response: HttpResponse,
  ): Promise<void> {
    relay(
      response,
      await this.console.annotation.forward('POST', '/v1/tasks/lease', actingFor(tenantId, annotator), body),
    );
  }

  @Get('tasks/:taskId/image')
  async taskImage(
    @Tenant() tenantId: string,
    @AnnotatorOf() annotator: string,
    @Param('taskId') taskId: string,
    @Query('annotatorId') annotatorId: unknown,
    @Res() response: HttpResponse,
  ): Promise<void> {
    const query = new URLSearchParams({ annotatorId: typeof annotatorId === 'string' ? annotatorId : '' });
    relay(
      response,
      await this.console.annotation.forward(
        'GET',
        `/v1/tasks/${encodeURIComponent(taskId)}/image?${query.toString()}`,
        actingFor(tenantId, annotator),
      ),
    );
  }

  @Post('tasks/:taskId/result')
  async submit(
    @Tenant() tenantId: string,
    @AnnotatorOf() annotator: string,
    @Param('taskId') taskId: string,
    @Body() body: unknown,
    @Res() response: HttpResponse,
  ): Promise<void> {
    relay(
      response,
      await this.console.annotation.forward(
        'POST',
        `/v1/tasks/${encodeURIComponent(taskId)}/result`,
        actingFor(tenantId, annotator),
        body,
      ),
    );
  }

  @Get('projects/:projectId/report')
  async report(
    @Tenant() tenantId: string,
    @Param('projectId') projectId: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    // The tenant's project, checked here too: another tenant's is a 404 even with the router down.
    await this.console.project(tenantId, projectId);
    relay(
      response,
      await this.console.annotation.forward(
        'GET',
        `/v1/projects/${encodeURIComponent(projectId)}/report`,
        actingFor(tenantId, ''),
      ),
    );
  }

  // Campaigns (services/campaigns): forwarded as ingest for the tenant; campaigns answers only for
  // that tenant, as annotation-router does for the task routes.
  @Get('campaigns')
  async campaigns(@Tenant() tenantId: string, @Res() response: HttpResponse): Promise<void> {
    await this.forwardCampaigns(tenantId, response, '/v1/campaigns');
  }

  @Get('campaigns/:id')
  async campaign(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.forwardCampaigns(tenantId, response, `/v1/campaigns/${encodeURIComponent(id)}`);
  }

  @Get('campaigns/:id/collectors')
  async campaignCollectors(
    @Tenant() tenantId: string,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.forwardCampaigns(tenantId, response, `/v1/campaigns/${encodeURIComponent(id)}/collectors`);
  }

  private async forwardCampaigns(tenantId: string, response: HttpResponse, path: string): Promise<void> {
    relay(response, await this.console.campaigns.forward('GET', path, actingFor(tenantId, '')));
  }

  /** One campaign, live: its cells (curated / target / cap, full) and its collectors' statistics. */
  @Get('campaigns/:id/events')
  async campaignEvents(
    @Tenant() tenantId: string,
    @Req() request: Request,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    const tenant = actingFor(tenantId, '');
    const path = `/v1/campaigns/${encodeURIComponent(id)}`;
    const read = async () =>
      campaignSnapshot(
        await this.console.campaigns.json(path, tenant),
        await this.console.campaigns.json(`${path}/collectors`, tenant),
      );
    await read(); // another tenant's or an unknown campaign is a 404 before the stream opens
    this.streams.serve(request, response, CAMPAIGN_STREAM_MS, read);
  }
}
