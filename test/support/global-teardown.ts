/** globalTeardown stops the Temporal dev server that globalSetup started. */
export default async function globalTeardown(): Promise<void> {
  const temporal = globalThis.rollgateTestTemporal;
  globalThis.rollgateTestTemporal = undefined;
  await temporal?.teardown();
}
