import type Redis from 'ioredis';
import { hostPort } from './endpoint';
import { isReplyError } from './errors';
import { parseInfo } from './info';

/** A server that is a replica taking no writes (`replica-read-only yes`), and the master it follows. */
export interface ReadOnlyReplica {
  /** `127.0.0.1:6379`: INFO replication's master_host and master_port. */
  readonly master: string;
}

/**
 * Whether `client`'s server is a read-only replica (INFO replication says `role:slave`): every
 * write there is refused with READONLY, so a plan to write can say so before asking anything.
 * `replica-read-only no` (a writable replica) is not one: INFO replication's `slave_read_only`
 * says which, so a user refused CONFIG (the extension's own service users) is told right; only
 * a server whose INFO lacks it is asked CONFIG GET, and one refusing that is taken as Redis's
 * default (read-only). Undefined when INFO is refused (an ACL):
 * nothing is known, and the writes say it themselves. A Redis Cluster is not asked here (each
 * key goes to its slot's master).
 */
export async function readOnlyReplicaOf(client: Redis): Promise<ReadOnlyReplica | undefined> {
  if ((client as { isCluster?: boolean }).isCluster) return undefined;
  const replication = await client.info('replication').then(
    (text) => parseInfo(text).get('replication'),
    (error: unknown) => {
      if (isReplyError(error)) return undefined;
      throw error;
    },
  );
  if (replication?.['role'] !== 'slave') return undefined;
  // INFO replication says it itself (slave_read_only:0|1, Redis 2.8 on, Valkey): no CONFIG right needed.
  const said = replication['slave_read_only'] ?? replication['replica_read_only'];
  const readOnly =
    said !== undefined
      ? said !== '0'
      : await client.config('GET', 'replica-read-only').then(
          (reply) => (reply as unknown[])[1] !== 'no',
          (error: unknown) => {
            if (isReplyError(error)) return true;
            throw error;
          },
        );
  if (!readOnly) return undefined;
  const port = Number(replication['master_port']);
  return { master: hostPort(replication['master_host'] ?? 'an unknown host', Number.isFinite(port) ? port : 0) };
}
