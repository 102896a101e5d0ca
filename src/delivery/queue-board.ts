// The partners' queues for bull-board (/admin/queues), read-only: PostgreSQL is the authority on
// every exchange, so retrying, promoting or deleting a job by hand in Redis would bypass the claim,
// the per-person order and the audit trail. Replays go through `dead-letters replay` instead.
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { QueueSet } from './queues.js';

export function queueBoardAdapters(
  queues: Pick<QueueSet, 'queue'>,
  partnerIds: readonly string[],
): BaseAdapter[] {
  return partnerIds.map(
    (id) => new BullMQAdapter(queues.queue(id), { readOnlyMode: true, description: `deliveries to ${id}` }),
  );
}
