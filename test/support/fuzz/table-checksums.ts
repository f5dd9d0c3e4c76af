import type { Pool } from 'pg';

/**
 * tableChecksums is a checksum of every table of the public schema: md5 over its rows as text,
 * in a stable order. Audit rows of denials are left out: a refusal is meant to be recorded
 * (the trail keeps it), everything else must stay as it was.
 */
export async function tableChecksums(pool: Pool): Promise<Map<string, { rows: number; md5: string }>> {
  const { rows: tables } = await pool.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name, array_agg(a.attname::text) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      GROUP BY c.relname ORDER BY c.relname`,
  );
  const parts = tables.map(({ name, columns }) => {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    const denials = name.includes('audit') && columns.includes('type') ? `WHERE t.type NOT LIKE '%.denied'` : '';
    return `SELECT '${name.replace(/'/g, "''")}' AS name, count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM ${quoted} t ${denials}`;
  });
  const { rows } = await pool.query<{ name: string; rows: number; md5: string }>(parts.join(' UNION ALL '));
  return new Map(rows.map((row) => [row.name, { rows: row.rows, md5: row.md5 }]));
}

/** changedTables names the tables whose checksum differs, with their row counts before and after. */
export function changedTables(before: Map<string, { rows: number; md5: string }>, after: Map<string, { rows: number; md5: string }>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names]
    .filter((name) => before.get(name)?.md5 !== after.get(name)?.md5)
    .map((name) => `${name} (${before.get(name)?.rows ?? 0} → ${after.get(name)?.rows ?? 0} rows)`);
}
