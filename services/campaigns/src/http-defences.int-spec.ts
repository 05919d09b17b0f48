import { startStageHarness, type StageHarness } from '@aperture/stage-runtime';
import { expectedDefences, probeHttpDefences } from '@aperture/testing';
import { campaignsStage } from './stage';

// Issue 19's HTTP findings replayed against campaigns in-process (real broker and database):
// 5,000 nested arrays, a huge Content-Length with a tiny body, a chunked body over the limit,
// an unknown route, TRACE, a client that stops sending. The answers must be ingest's, byte for
// byte in code and message (services/ingest/src/http-defences.int-spec.ts runs the same probe).

const IDLE_MS = 1000;

describe('campaigns: HTTP defences', () => {
  let harness: StageHarness;

  beforeAll(async () => {
    harness = await startStageHarness(campaignsStage(), [], { BODY_IDLE_TIMEOUT_MS: String(IDLE_MS) });
  }, 120_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('answers every probe with the standard error, at once, with no banner', async () => {
    const options = {
      jsonRoute: '/v1/campaigns',
      credentials: { 'x-api-key': await harness.createApiKey('t-probe') },
      knownRoute: { path: '/healthz', allow: 'GET, HEAD' },
      maxJsonBodyBytes: 256 * 1024,
      idleTimeoutMs: IDLE_MS,
    };
    expect(await probeHttpDefences(harness.stage.httpPort, options)).toEqual(expectedDefences(options));
  });
});
