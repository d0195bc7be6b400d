// Placeholder until the test-environment work lands: no peer is started yet.
export async function stopAllPeers(): Promise<void> {}
