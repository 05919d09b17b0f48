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
import { ApiKeyGuard, Principal, Role } from '../http/auth';
import type { HttpRequest, HttpResponse } from '../http/types';
import { type TenantPrincipal, TenantsService } from '../tenants/tenants.service';
import { type ImageBlobKind, imageBlobKinds, ConsoleService } from './console.service';
import { campaignSnapshot } from './campaign-view';
import type { ForwardedResponse } from './service.repository';
import {
  type ConsoleRole,
  consoleRoles,
  cookieValue,
  parseSession,
  SESSION_COOKIE,
  sessionCookie,
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

/** The key a request acts with: its x-api-key header, else its console session's. */
function keyOf(request: Request): string {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const session = parseSession(cookieValue(request.headers.cookie, SESSION_COOKIE));
  if (!session) throw ApiError.unauthenticated();
  return session.apiKey;
}

/** Open server-sent-event streams, ended when the app shuts down (or they would hold it open). */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly open = new Set<() => void>();

  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  /**
   * Sends `read()` as an event whenever its JSON changes. The database has no change feed here
   * (FerretDB), so the server looks every `everyMs`; the browser holds one connection and hears
   * only of changes, instead of polling.
   */
  serve(
    request: Request,
    response: HttpResponse,
    apiKey: string,
    everyMs: number,
    read: () => Promise<unknown>,
  ) {
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
          await this.tenants.authenticate(apiKey);
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

/** The console's session: sign in with the tenant's API key, kept in an HttpOnly cookie. */
@ApiExcludeController()
@Controller('console/session')
export class ConsoleSessionController {
  constructor(@Inject(TenantsService) private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(200)
  async open(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: HttpResponse,
  ): Promise<{ tenantId: string; role: ConsoleRole }> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const role = (input['role'] ?? 'client') as ConsoleRole;
    if (!consoleRoles.includes(role))
      throw ApiError.invalid('invalid session', [
        { field: 'role', message: `must be one of ${consoleRoles.join(', ')}` },
      ]);
    // Signing in without a key is unauthenticated, as every other route without one.
    if (typeof input['apiKey'] !== 'string' || input['apiKey'] === '')
      throw ApiError.unauthenticated('missing apiKey: sign in with the tenant API key');
    const principal = await this.tenants.authenticate(input['apiKey']);
    // Secure where the console is served over TLS (directly, or behind a proxy that says so).
    const secure = request.secure === true || request.headers['x-forwarded-proto'] === 'https';
    response.setHeader('set-cookie', sessionCookie({ apiKey: input['apiKey'], role }, secure));
    return { tenantId: principal.tenantId, role };
  }

  @Get()
  @UseGuards(ApiKeyGuard)
  current(@Principal() principal: TenantPrincipal, @Role() role: ConsoleRole) {
    return { tenantId: principal.tenantId, role };
  }

  @Delete()
  @UseGuards(ApiKeyGuard)
  @HttpCode(204)
  close(@Res({ passthrough: true }) response: HttpResponse): void {
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
  async projects(@Principal() principal: TenantPrincipal) {
    return { projects: await this.console.listProjects(principal.tenantId) };
  }

  @Get('batches')
  async batches(@Principal() principal: TenantPrincipal, @Query('projectId') projectId: unknown) {
    return {
      batches: await this.console.listBatches(
        principal.tenantId,
        typeof projectId === 'string' ? projectId : undefined,
      ),
    };
  }

  /** The batch list, live: an event whenever a batch's counts change. */
  @Get('batches/events')
  batchesEvents(
    @Principal() principal: TenantPrincipal,
    @Query('projectId') projectId: unknown,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): void {
    const project = typeof projectId === 'string' && projectId ? projectId : undefined;
    this.streams.serve(request, response, keyOf(request), LIST_STREAM_MS, async () => ({
      batches: await this.console.listBatches(principal.tenantId, project),
    }));
  }

  @Get('batches/:id')
  batch(@Principal() principal: TenantPrincipal, @Param('id') id: string) {
    return this.console.batch(principal.tenantId, id);
  }

  /** One batch, live. */
  @Get('batches/:id/events')
  async batchEvents(
    @Principal() principal: TenantPrincipal,
    @Param('id') id: string,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.console.batch(principal.tenantId, id); // a 404 before the stream opens
    this.streams.serve(request, response, keyOf(request), BATCH_STREAM_MS, () =>
      this.console.batch(principal.tenantId, id),
    );
  }

  @Get('images/:id')
  image(@Principal() principal: TenantPrincipal, @Role() role: ConsoleRole, @Param('id') id: string) {
    return this.console.imageDetail(principal.tenantId, id, role);
  }

  @Get('images/:id/audit')
  async audit(@Principal() principal: TenantPrincipal, @Param('id') id: string) {
    return { entries: await this.console.auditTrail(principal.tenantId, id) };
  }

  /** thumbnail | after | raw, with an entity tag and, the keys being written once, a year's caching. */
  @Get('images/:id/:kind')
  async imageBytes(
    @Principal() principal: TenantPrincipal,
    @Role() role: ConsoleRole,
    @Param('id') id: string,
    @Param('kind') kind: string,
    @Req() request: Request,
    @Res() response: HttpResponse,
  ): Promise<void> {
    if (!imageBlobKinds.includes(kind as ImageBlobKind))
      throw new ApiError('not_found', `no such image view (${imageBlobKinds.join(', ')})`);
    const blob = await this.console.imageBlob(principal.tenantId, id, kind as ImageBlobKind, role);
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

  @Post('tasks/lease')
  async lease(@Req() request: Request, @Body() body: unknown, @Res() response: HttpResponse): Promise<void> {
    relay(response, await this.console.annotation.forward('POST', '/v1/tasks/lease', keyOf(request), body));
  }

  @Get('tasks/:taskId/image')
  async taskImage(
    @Req() request: Request,
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
        keyOf(request),
      ),
    );
  }

  @Post('tasks/:taskId/result')
  async submit(
    @Req() request: Request,
    @Param('taskId') taskId: string,
    @Body() body: unknown,
    @Res() response: HttpResponse,
  ): Promise<void> {
    relay(
      response,
      await this.console.annotation.forward(
        'POST',
        `/v1/tasks/${encodeURIComponent(taskId)}/result`,
        keyOf(request),
        body,
      ),
    );
  }

  @Get('projects/:projectId/report')
  async report(
    @Principal() principal: TenantPrincipal,
    @Req() request: Request,
    @Param('projectId') projectId: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    // The tenant's project, checked here too: another tenant's is a 404 even with the router down.
    await this.console.project(principal.tenantId, projectId);
    relay(
      response,
      await this.console.annotation.forward(
        'GET',
        `/v1/projects/${encodeURIComponent(projectId)}/report`,
        keyOf(request),
      ),
    );
  }

  // Campaigns (services/campaigns): forwarded with the caller's key; campaigns checks the key and
  // answers only for its tenant, as annotation-router does for the task routes.
  @Get('campaigns')
  async campaigns(@Req() request: Request, @Res() response: HttpResponse): Promise<void> {
    await this.forwardCampaigns(request, response, '/v1/campaigns');
  }

  @Get('campaigns/:id')
  async campaign(
    @Req() request: Request,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.forwardCampaigns(request, response, `/v1/campaigns/${encodeURIComponent(id)}`);
  }

  @Get('campaigns/:id/collectors')
  async campaignCollectors(
    @Req() request: Request,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    await this.forwardCampaigns(request, response, `/v1/campaigns/${encodeURIComponent(id)}/collectors`);
  }

  private async forwardCampaigns(request: Request, response: HttpResponse, path: string): Promise<void> {
    relay(response, await this.console.campaigns.forward('GET', path, keyOf(request)));
  }

  /** One campaign, live: its cells (curated / target / cap, full) and its collectors' statistics. */
  @Get('campaigns/:id/events')
  async campaignEvents(
    @Req() request: Request,
    @Param('id') id: string,
    @Res() response: HttpResponse,
  ): Promise<void> {
    const key = keyOf(request);
    const path = `/v1/campaigns/${encodeURIComponent(id)}`;
    const read = async () =>
      campaignSnapshot(
        await this.console.campaigns.json(path, key),
        await this.console.campaigns.json(`${path}/collectors`, key),
      );
    await read(); // another tenant's or an unknown campaign is a 404 before the stream opens
    this.streams.serve(request, response, key, CAMPAIGN_STREAM_MS, read);
  }
}
