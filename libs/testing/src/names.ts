import { randomBytes } from 'node:crypto';

/**
 * A name no other test run uses (topics, consumer groups, databases), so tests can share one
 * broker and one database without seeing each other's data.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
