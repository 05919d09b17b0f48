/** Stops containers that global-setup started; local servers are left to scripts/infra. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__apertureTestInfra?.stop();
}
