import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestIngest, type TestIngest } from './testing/test-ingest';

// Schemathesis (PyPI, installed by scripts/python-env) against ingest's own OpenAPI document, on
// the whole service in-process (real broker and database), with every check: no 5xx, every status,
// content type, header and body as documented, schema-valid data accepted and invalid data
// refused, unsupported methods 405 with Allow, missing credentials refused. Bounded: a few
// examples per operation and a time budget for the whole run.

const ADMIN_TOKEN = 'schemathesis-admin-token-0019';
const SCHEMATHESIS = join(__dirname, '../../../.aperture/venv/bin/schemathesis');
/** Seconds schemathesis may spend in all (its own budget), and what Jest allows on top. */
const BUDGET_SECONDS = 45;
/** Its settings: the statuses expected of schema-valid policies (the file says why). */
const CONFIG = join(__dirname, '../schemathesis.toml');

describe('ingest: schemathesis against /openapi.json', () => {
  let ingest: TestIngest;
  let apiKey: string;

  beforeAll(async () => {
    ingest = await startTestIngest('it_ingest_schemathesis', {
      ADMIN_TOKEN,
      // Schemathesis sends hundreds of requests in a few seconds: rate limiting is tested elsewhere.
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    });
    const tenant = await request(ingest.url)
      .post('/v1/tenants')
      .set('x-admin-token', ADMIN_TOKEN)
      .send({ name: 'schemathesis' });
    apiKey = String(tenant.body.apiKey);
  });

  afterAll(async () => {
    await ingest?.stop();
  });

  it(
    'passes every check (schemathesis --checks all)',
    async () => {
      expect({ schemathesis: SCHEMATHESIS, installed: existsSync(SCHEMATHESIS) }).toEqual({
        schemathesis: SCHEMATHESIS,
        installed: true, // scripts/python-env installs it (scripts/test runs it first)
      });
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        execFile(
          SCHEMATHESIS,
          [
            '--config-file',
            CONFIG,
            '--no-color',
            'run',
            `${ingest.url}/openapi.json`,
            '--checks',
            'all',
            '--header',
            `x-api-key: ${apiKey}`,
            '--header',
            `x-admin-token: ${ADMIN_TOKEN}`,
            '--max-examples',
            '25',
            '--max-time',
            String(BUDGET_SECONDS),
            '--request-timeout',
            '10',
            '--seed',
            '19',
            '--workers',
            '1',
          ],
          { timeout: (BUDGET_SECONDS + 30) * 1000, maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) =>
            resolve({
              code: error ? ((error as { code?: number }).code ?? null) : 0,
              output: stdout + stderr,
            }),
        );
      });
      // Schemathesis's report (the failing checks with a curl line to replay each) when it fails.
      expect({ code, output: code === 0 ? 'passed' : output }).toEqual({ code: 0, output: 'passed' });
    },
    (BUDGET_SECONDS + 60) * 1000,
  );
});
