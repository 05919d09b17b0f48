import { type ConfigOf, type Env, infraSchema, int, loadConfig, str } from '@aperture/config';

export const DEFAULT_ADMIN_TOKEN = 'aperture-local-admin';

export const ingestSchema = {
  ...infraSchema,
  HTTP_PORT: int({ fallback: 8080, min: 0, max: 65535 }),
  GRPC_PORT: int({ fallback: 50051, min: 0, max: 65535 }),
  /** The largest upload accepted, in bytes (default 50 MiB). */
  MAX_UPLOAD_BYTES: int({ fallback: 50 * 1024 * 1024, min: 1, max: 4 * 1024 * 1024 * 1024 }),
  /** The secret of the admin routes (header x-admin-token). */
  ADMIN_TOKEN: str({ fallback: DEFAULT_ADMIN_TOKEN, pattern: /^.{8,}$/, describe: 'at least 8 characters' }),
};

export type IngestConfig = ConfigOf<typeof ingestSchema>;

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  return loadConfig(ingestSchema, env);
}
