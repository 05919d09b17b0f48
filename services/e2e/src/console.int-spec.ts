import { corpusPath, testInfraEnv, uniqueName, waitFor } from '@aperture/testing';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser';
import {
  freePort,
  PIPELINE_SERVICES,
  repoRoot,
  restCaller,
  type ServiceProcess,
  startPipeline,
  startService,
  stopService,
  tail,
  waitReady,
} from './processes';

// The web console in headless Chromium against the five services as processes (and campaigns, a
// sixth): sign in, watch a batch uploaded through the API progress live, read a rejected image's
// reason, see the policy form refuse a value, annotate one task end to end, watch a campaign's
// collector statistics change live. Screenshots go to coverage/e2e/console/.
const corpus = corpusPath();
const files = [
  'cameras/jpg/gps/DSCN0010.jpg',
  'cameras/jpg/Canon_40D.jpg',
  'cameras/jpg/orientation/landscape_1.jpg',
  'cameras/jpg/orientation/landscape_2.jpg',
  'formats/truncated.jpg',
].map((file) => path.join(corpus, file));
const screenshots = path.join(repoRoot, 'coverage', 'e2e', 'console');

jest.setTimeout(600_000);

interface ApiImage {
  imageId: string;
  filename: string;
  status: string;
  reasons: Array<{ code: string }>;
}

describe('the web console, in Chromium, against the pipeline as processes', () => {
  const run = uniqueName('console').replace(/-/g, '_');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aperture-console-'));
  const running: ServiceProcess[] = [];
  const adminToken = 'console-admin-token';
  let api = '';
  let campaignsUrl = '';
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const { kafkaBrokers, mongoUri } = testInfraEnv();
    const campaignsPorts = { http: await freePort(), grpc: await freePort() };
    campaignsUrl = `http://127.0.0.1:${campaignsPorts.http}`;
    const started = await startPipeline({
      run,
      workDir,
      adminToken,
      kafkaBrokers,
      mongoUri,
      // Where the console finds its neighbours, and a trace viewer to link to.
      env: (ports) => ({
        ANNOTATION_ROUTER_URL: `http://127.0.0.1:${ports['annotation-router'].http}`,
        COMPLIANCE_GRPC_ADDRESS: `127.0.0.1:${ports.compliance.grpc}`,
        CONSOLE_TRACE_URL_TEMPLATE: 'http://traces.example/trace/{traceId}',
        CAMPAIGNS_URL: campaignsUrl,
        CAMPAIGNS_GRPC_ADDRESS: `127.0.0.1:${campaignsPorts.grpc}`,
      }),
    });
    running.push(...started.running);
    // campaigns, on the run's database (it reads the tenants' keys there) and consumer group.
    const database = new URL(mongoUri);
    database.pathname = `/${run}`;
    const campaigns = startService(
      'campaigns',
      {
        ...process.env,
        KAFKA_BROKERS: kafkaBrokers.join(','),
        MONGODB_URI: database.toString(),
        HTTP_PORT: String(campaignsPorts.http),
        GRPC_PORT: String(campaignsPorts.grpc),
        KAFKA_GROUP_ID: `campaigns-${run}`,
        LOG_LEVEL: 'info',
      },
      workDir,
      campaignsPorts.http,
    );
    running.push(campaigns);
    await waitReady(campaigns);
    api = started.api;
    browser = await launchChromium({ width: 1280, height: 900 });
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    fs.mkdirSync(screenshots, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    const codes = await Promise.all(running.map((service) => stopService(service)));
    // Open event streams must not keep ingest from stopping.
    expect(codes).toEqual([...PIPELINE_SERVICES, 'campaigns'].map(() => 0));
  });

  const call = restCaller(() => api, adminToken);
  const callCampaigns = restCaller(() => campaignsUrl, adminToken);

  const shot = (name: string) =>
    page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
  const text = (selector: string) => page.locator(selector).innerText();
  /** A client signs in with the tenant's API key, an annotator with its own annotator token. */
  const signIn = async (secret: string, role: 'client' | 'annotator') => {
    await page.goto(`${api}/console/`);
    await page.selectOption('select[name=role]', role);
    await page.fill('input[name=secret]', secret);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]');
  };
  // The console's Content-Security-Policy forbids eval, which page.waitForFunction needs: poll
  // page.evaluate (run through the DevTools protocol, not the page's eval) from here instead.
  const until = (expression: string, timeoutMs = 30_000) =>
    waitFor(expression, async () => Boolean(await page.evaluate(expression)), timeoutMs);
  const go = async (hash: string) => {
    await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
  };

  it('signs in, watches a batch progress live, shows why an image was rejected, refuses a bad policy, annotates a task', async () => {
    const { apiKey } = await call<{ apiKey: string }>('POST', '/v1/tenants', { name: `tenant-${run}` });
    const project = await call<{ projectId: string }>(
      'POST',
      '/v1/projects',
      {
        name: `street-${run}`,
        policy: {
          standardize: { maxLongSide: 640 },
          annotation: {
            required: true,
            taskType: 'bbox',
            classes: ['vehicle', 'person', 'building'],
            overlap: 1,
          },
        },
      },
      apiKey,
    );
    const { projectId } = project;

    // Sign in: the key ends up only in an HttpOnly, SameSite=Strict cookie, not in page storage.
    await signIn(apiKey, 'client');
    expect(await text('[data-testid=who]')).toContain('client');
    const cookies = await browser.context.cookies(api);
    expect(cookies.map(({ name, httpOnly, sameSite }) => ({ name, httpOnly, sameSite }))).toEqual([
      { name: 'aperture_console', httpOnly: true, sameSite: 'Strict' },
    ]);
    expect(await page.evaluate('[localStorage.length, sessionStorage.length]')).toEqual([0, 0]);
    expect(await page.evaluate(`document.cookie`)).toBe('');

    // A batch opened through the API; its page is open before anything is uploaded.
    const { batchId } = await call<{ batchId: string }>('POST', '/v1/batches', { projectId }, apiKey);
    await go(`#/batches/${batchId}`);
    await page.waitForSelector('[data-testid=batch-counts]');
    expect(await text('[data-testid=batch-counts]')).toContain('uploaded 0');
    const seen = new Set<string>();
    const watching = setInterval(() => {
      void page
        .locator('[data-testid=batch-counts]')
        .innerText()
        .then(
          (counts) => seen.add(counts),
          () => undefined,
        );
    }, 200);

    // Upload through the API, as a client's script would.
    const form = new FormData();
    for (const file of files) form.append('file', new Blob([fs.readFileSync(file)]), path.basename(file));
    const upload = await fetch(`${api}/v1/batches/${batchId}/images`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey },
      body: form,
    });
    expect(upload.status).toBe(201);
    await call('POST', `/v1/batches/${batchId}/close`, undefined, apiKey);

    // The page follows the batch to the end without a reload (server-sent events).
    try {
      await until(`document.querySelector('[data-testid=batch-state]')?.textContent === 'complete'`, 300_000);
    } finally {
      clearInterval(watching);
    }
    const finalCounts = await text('[data-testid=batch-counts]');
    expect(finalCounts).toContain(`uploaded ${files.length}`);
    expect(finalCounts).toMatch(/corrupt 1/);
    expect(seen.size).toBeGreaterThanOrEqual(2); // more than one state of the counts came in live
    await until(
      `[...document.querySelectorAll('[data-testid=thumbs] img')].every((img) => img.complete && img.naturalWidth > 0)`,
    );
    expect(await page.locator('[data-testid=thumbs] img').count()).toBeGreaterThanOrEqual(2);
    await shot('batch');

    // Filter the grid to rejections, open the corrupt file and read its reason.
    await page.selectOption('select[name=status]', 'rejected');
    await until(
      `[...document.querySelectorAll('[data-testid=thumbs] li')].every((li) => li.classList.contains('rejected'))`,
    );
    await page.click('[data-testid=thumbs] li[data-filename="truncated.jpg"] a');
    await page.waitForSelector('[data-testid=reasons]');
    expect(await text('[data-testid=image-status]')).toBe('rejected');
    expect(await text('[data-testid=reasons]')).toMatch(/^corrupt /);
    await shot('rejected-image');

    // An image that went through: before/after, metrics against thresholds, trace link, audit trail.
    const images = (
      await call<{ images: ApiImage[] }>('GET', `/v1/batches/${batchId}/images`, undefined, apiKey)
    ).images;
    const kept = images.find((image) => image.filename === 'DSCN0010.jpg')!;
    expect(kept.status).toBe('pending_annotation');
    await go(`#/images/${kept.imageId}`);
    await page.locator('h1', { hasText: 'DSCN0010.jpg' }).waitFor();
    await page.waitForSelector('[data-testid=checks] tbody tr');
    await until(
      `[...document.querySelectorAll('.before-after img')].every((img) => img.complete && img.naturalWidth > 0)`,
    );
    expect(await page.locator('.before-after img').count()).toBe(2);
    expect(await page.locator('[data-testid=trace] a').getAttribute('href')).toMatch(
      /^http:\/\/traces\.example\/trace\/[0-9a-f]{32}$/,
    );
    await page.waitForSelector('[data-testid=audit] tr');
    expect(await text('[data-testid=audit]')).toContain('cleared');
    await shot('image');
    const nearCopy = images.find((image) => image.reasons.some((reason) => /duplicate/.test(reason.code)));
    if (nearCopy) {
      await go(`#/images/${nearCopy.imageId}`);
      await page.waitForSelector('[data-testid=duplicate-of] a');
    }

    // Thumbnails: the key is the entity tag, cached for good, 304 when unchanged.
    const thumbnail = await page.request.get(`${api}/console/api/images/${kept.imageId}/thumbnail`);
    expect(thumbnail.status()).toBe(200);
    expect(thumbnail.headers()['cache-control']).toBe('private, max-age=31536000, immutable');
    const again = await page.request.get(`${api}/console/api/images/${kept.imageId}/thumbnail`, {
      headers: { 'if-none-match': thumbnail.headers()['etag']! },
    });
    expect(again.status()).toBe(304);

    // A cookie-authenticated change without the console's CSRF header is refused.
    const forged = await page.evaluate(`fetch('/v1/projects/${projectId}/policy', {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status)`);
    expect(forged).toBe(403);

    // The policy form: a value out of range comes back as the API's error on that field.
    await go(`#/projects/${projectId}`);
    await page.waitForSelector('[data-testid=policy-form] input[name="quality.maxBlurWidth"]');
    await page.fill('input[name="quality.maxBlurWidth"]', '700');
    await page.click('[data-testid=policy-form] button[type=submit]');
    await page.waitForSelector('.field-error[data-field="quality.maxBlurWidth"]');
    expect(await text('.field-error[data-field="quality.maxBlurWidth"]')).toBe(
      'must be a number from 0.1 to 100',
    );
    expect(await text('[data-testid=policy-message]')).toMatch(/invalid/i);
    await page.locator('label.invalid').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(screenshots, 'policy-error.png') });
    const unchanged = await call<{ policy: { quality: { maxBlurWidth: number } } }>(
      'GET',
      `/v1/projects/${projectId}`,
      undefined,
      apiKey,
    );
    expect(unchanged.policy.quality.maxBlurWidth).toBe(1.4);

    // The annotator: lease (L), draw a box on the derivative, submit (Enter); the image is curated.
    await go('#/annotate');
    await page.waitForSelector('select[aria-label=project] option', { state: 'attached' });
    await page.selectOption('select[aria-label=project]', projectId);
    await page.locator('h1').click(); // keyboard focus off the form fields
    await page.keyboard.press('l');
    await page.waitForSelector('[data-testid=task]');
    const taskImage = await page.locator('[data-testid=task] code').nth(1).innerText();
    await until(`(() => {
      const canvas = document.querySelector('.canvas canvas');
      if (!canvas) return false;
      const data = canvas.getContext('2d').getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data;
      return data[3] > 0;
    })()`);
    const area = (await page.locator('.canvas canvas').first().boundingBox())!;
    await page.keyboard.press('2');
    await page.mouse.move(area.x + area.width * 0.2, area.y + area.height * 0.25);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.5, area.y + area.height * 0.5, { steps: 5 });
    await page.mouse.move(area.x + area.width * 0.7, area.y + area.height * 0.8, { steps: 5 });
    await page.mouse.up();
    expect(await text('[data-testid=labels]')).toMatch(/^person at \d+,\d+ \d+×\d+$/);
    await shot('annotator');
    await page.keyboard.press('Enter');
    await until(
      `document.querySelector('[data-testid=annotate-message]')?.textContent.startsWith('Submitted')`,
    );
    await waitFor(
      'the annotated image curated',
      async () =>
        (await call<ApiImage>('GET', `/v1/images/${taskImage}`, undefined, apiKey)).status === 'curated',
      60_000,
    );

    // The dataset report, with its charts.
    await go(`#/report/${projectId}`);
    await page.waitForSelector('[data-testid=charts] canvas');
    expect(await page.locator('[data-testid=charts] canvas').count()).toBe(19);
    expect(await text('[data-testid=report-counts]')).toContain('curated 1');
    await shot('report');

    // Campaigns: the tenant's list, then one campaign's cells and its collector's statistics, live.
    const campaign = await callCampaigns<{ campaignId: string }>(
      'POST',
      '/v1/campaigns',
      {
        projectId,
        name: `street-${run}`,
        deadline: new Date(Date.now() + 3_600_000).toISOString(),
        cells: [
          { category: 'vehicle', target: 2 },
          { category: 'person', target: 1, cap: 2 },
        ],
      },
      apiKey,
    );
    const alice = await callCampaigns<{ collector: { collectorId: string }; token: string }>(
      'POST',
      '/v1/collectors',
      { name: 'alice' },
      apiKey,
    );
    await callCampaigns(
      'POST',
      `/v1/collectors/${alice.collector.collectorId}/state`,
      { state: 'verified' },
      apiKey,
    );
    await go('#/campaigns');
    await page.waitForSelector(`[data-testid=campaigns] tr[data-campaign="${campaign.campaignId}"]`);
    await page.click(`[data-testid=campaigns] tr[data-campaign="${campaign.campaignId}"] a`);
    await page.waitForSelector('[data-testid=campaign-cells] tbody tr');
    expect(await text('[data-testid=campaign-cells]')).toMatch(/vehicle\s+0\s+2\s+—/);
    expect(await text('[data-testid=campaign-cells]')).toMatch(/person\s+0\s+1\s+2/);
    // alice uploads to the open page: a corrupt file, and a photo this tenant already has (both rejected).
    const { batchId: campaignBatch } = await call<{ batchId: string }>(
      'POST',
      '/v1/batches',
      { projectId },
      apiKey,
    );
    for (const file of [files[4]!, files[0]!]) {
      const form = new FormData();
      form.append('campaignId', campaign.campaignId);
      form.append('category', 'vehicle');
      form.append('file', new Blob([fs.readFileSync(file)], { type: 'image/jpeg' }), path.basename(file));
      const uploaded = await fetch(`${api}/v1/batches/${campaignBatch}/images`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'x-collector-token': alice.token },
        body: form,
      });
      expect(uploaded.status).toBe(201);
    }
    const row = `[data-testid=campaign-collectors] tr[data-collector="${alice.collector.collectorId}"]`;
    await until(
      `document.querySelector('${row} [data-reason=duplicate]')?.textContent === 'duplicate 1' && document.querySelector('${row} [data-reason=corrupt]')?.textContent === 'corrupt 1'`,
      120_000,
    );
    // uploaded 2, curated 0, rejected 2, in flight 0, acceptance 0 %, duplicates 50 %, no agreement yet.
    expect(await text(row)).toMatch(/^alice\s+verified\s+2\s+0\s+2\s+0\s+0 %\s+50 %\s+—/);
    await shot('campaign');
    // Another tenant's key does not see the campaign, nor lists it.
    const stranger = await call<{ apiKey: string }>('POST', '/v1/tenants', { name: `stranger-${run}` });
    for (const url of [
      `/console/api/campaigns/${campaign.campaignId}`,
      `/console/api/campaigns/${campaign.campaignId}/events`,
    ]) {
      const response = await fetch(`${api}${url}`, { headers: { 'x-api-key': stranger.apiKey } });
      expect({ url, status: response.status }).toEqual({ url, status: 404 });
    }
    expect(
      (await call<{ campaigns: unknown[] }>('GET', '/console/api/campaigns', undefined, stranger.apiKey))
        .campaigns,
    ).toEqual([]);

    // An annotator session sees the derivative, never the raw upload.
    await page.click('text=Sign out');
    const annotator = await call<{ token: string }>('POST', '/v1/annotators', { name: 'ann' }, apiKey);
    await signIn(annotator.token, 'annotator');
    await go(`#/images/${kept.imageId}`);
    await page.waitForSelector('[data-testid=raw-hidden]');
    expect((await page.request.get(`${api}/console/api/images/${kept.imageId}/raw`)).status()).toBe(403);
    expect((await page.request.get(`${api}/console/api/images/${kept.imageId}/after`)).status()).toBe(200);

    // Another tenant's key sees nothing of this tenant's.
    const other = await call<{ apiKey: string }>('POST', '/v1/tenants', { name: `other-${run}` });
    for (const url of [
      `/console/api/batches/${batchId}`,
      `/console/api/images/${kept.imageId}`,
      `/console/api/images/${kept.imageId}/thumbnail`,
      `/console/api/images/${kept.imageId}/audit`,
    ]) {
      const response = await fetch(`${api}${url}`, { headers: { 'x-api-key': other.apiKey } });
      expect({ url, status: response.status }).toEqual({ url, status: 404 });
    }
    const theirBatches = await call<{ batches: unknown[] }>(
      'GET',
      '/console/api/batches',
      undefined,
      other.apiKey,
    );
    expect(theirBatches.batches).toEqual([]);

    expect(pageErrors).toEqual([]);
  });

  afterEach(() => {
    if (running.some((service) => service.child.exitCode !== null))
      console.error(running.map((service) => `--- ${service.name}\n${tail(service.logFile, 15)}`).join('\n'));
  });
});
