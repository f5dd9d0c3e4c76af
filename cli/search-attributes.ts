import type { Connection } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

import { ROLLOUT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export { ROLLOUT_SEARCH_ATTRIBUTES };

const GRPC_ALREADY_EXISTS = 6;

/** searchAttributeFlags renders the keys as `temporal server start-dev --search-attribute` flags. */
export function searchAttributeFlags(keys: readonly SearchAttributeKey<SearchAttributeType>[] = ROLLOUT_SEARCH_ATTRIBUTES): string[] {
  return keys.flatMap((key) => ['--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`]);
}

/**
 * ensureSearchAttributes registers whichever of the keys the namespace lacks. It is idempotent:
 * attributes that already exist (or appear concurrently) are fine, but one that exists with a
 * different type is an error, since workflows could not set it.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = ROLLOUT_SEARCH_ATTRIBUTES,
): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.systemAttributes, ...existing.customAttributes };
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = encodeSearchAttributeIndexedValueType(key.type);
    if (wanted === undefined) throw new Error(`search attribute ${key.name}: unsupported type ${key.type}`);
    const current = known[key.name];
    if (current === undefined) missing[key.name] = wanted;
    else if (current !== wanted) {
      throw new Error(`search attribute ${key.name} already exists in namespace ${namespace} with another type`);
    }
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    if ((error as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
}
