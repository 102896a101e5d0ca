// `navbridge prune`: the retention run on demand (workers also run it on a schedule), for the admin.
import type { RetentionConfig } from '../settings/app-config.js';
import { type PruneCounts, pruneExpired } from '../store/retention.js';
import { authorize } from './authorize.js';
import { actorOf, type Caller, type ServiceDeps } from './types.js';

export async function prunePayloads(
  deps: Pick<ServiceDeps, 'db'>,
  caller: Caller,
  policy: RetentionConfig,
): Promise<PruneCounts> {
  await authorize(deps, caller, { action: 'administer' });
  return pruneExpired(deps.db, policy, actorOf(caller));
}
