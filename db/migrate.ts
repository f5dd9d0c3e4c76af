// Contract (implementation in progress):
/** migrateDatabase applies every pending migration in db/migrations, in order, under an advisory lock. */
export async function migrateDatabase(_databaseUrl: string): Promise<string[]> {
  throw new Error('not implemented yet');
}
