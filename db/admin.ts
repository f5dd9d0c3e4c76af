// Contract (implementation in progress):
/** ensureDatabase creates the database named in databaseUrl when it does not exist yet. */
export async function ensureDatabase(_databaseUrl: string): Promise<void> {
  throw new Error('not implemented yet');
}
