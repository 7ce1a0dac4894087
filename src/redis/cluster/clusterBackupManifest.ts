import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createFileAtomic } from '../../docker/stack/atomicFile';

/** What the manifest's `format` says, so that no other JSON file is taken for one. */
export const MANIFEST_FORMAT = 'shared-redis-cluster-backup';
export const MANIFEST_SUFFIX = '.cluster.json';

/** One master's file of a cluster backup, and which node it came from. */
export interface ManifestMaster {
  /** The compose service (`redis-node-1`). */
  readonly service: string;
  /** The node's cluster id (CLUSTER NODES, 40 hex digits): nodes.conf keeps it across restarts. */
  readonly nodeId: string;
  /** Slot ranges as Redis lists them (`0-5460`, `7000`), ascending. */
  readonly slots: readonly string[];
  /** The RDB file's name, in the manifest's folder. */
  readonly file: string;
  readonly keys: number;
  readonly bytes: number;
}

/**
 * A cluster backup: one RDB file per master, and this manifest beside them saying which
 * node and slots each file belongs to (a restore puts each file back only onto that node).
 */
export interface ClusterBackupManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: 1;
  readonly project: string;
  readonly createdAt: string;
  /** What a cluster backup is (CLUSTER_BACKUP_STATEMENT), for whoever opens the file. */
  readonly statement: string;
  readonly masters: readonly ManifestMaster[];
}

/** A master of the live cluster, as its own node says (CLUSTER NODES, `myself`). */
export interface LiveMaster {
  readonly service: string;
  readonly nodeId: string;
  readonly slots: readonly string[];
}

/** A live node that is a replica now, with the master it follows. */
export interface LiveReplica {
  readonly service: string;
  readonly nodeId: string;
  readonly masterId: string | undefined;
}

/** `<project>-<stamp>[-suffix].cluster.json`, beside the RDB files of the same backup. */
export function manifestName(project: string, stamp: string, suffix?: string): string {
  return `${project}-${stamp}${suffix ? `-${suffix}` : ''}${MANIFEST_SUFFIX}`;
}

/**
 * Writes the manifest under `file`'s name, or the next free one (`…-2.cluster.json`) when
 * another window's backup of the same second took it: all or nothing, never over a file.
 * Returns the file written.
 */
export function writeManifest(file: string, manifest: ClusterBackupManifest): string {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const stem = file.endsWith(MANIFEST_SUFFIX) ? file.slice(0, -MANIFEST_SUFFIX.length) : file;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? file : `${stem}-${n}${MANIFEST_SUFFIX}`;
    if (createFileAtomic(candidate, text, 0o600)) return candidate;
  }
}

/** Reads and checks a manifest; a file that is not one throws a sentence naming the file and what is wrong. */
export function readManifest(file: string): ClusterBackupManifest {
  const name = basename(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${name} is not a cluster backup manifest (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const object = parsed as Partial<ClusterBackupManifest> | null;
  if (object?.format !== MANIFEST_FORMAT || object.version !== 1 || !Array.isArray(object.masters)) {
    throw new Error(
      `${name} is not a cluster backup manifest of this extension (format ${MANIFEST_FORMAT}, version 1)`,
    );
  }
  for (const [i, master] of object.masters.entries()) {
    const m = master as Partial<ManifestMaster> | null;
    if (
      typeof m?.service !== 'string' ||
      typeof m.nodeId !== 'string' ||
      !/^[0-9a-f]{40}$/.test(m.nodeId) ||
      !Array.isArray(m.slots) ||
      !m.slots.every((s) => typeof s === 'string' && /^\d+(-\d+)?$/.test(s)) ||
      typeof m.file !== 'string' ||
      basename(m.file) !== m.file
    ) {
      throw new Error(`${name}: master ${i + 1} lacks a service, a node id, its slots or a file name in the folder`);
    }
  }
  if (object.masters.length === 0) throw new Error(`${name} lists no master`);
  return object as ClusterBackupManifest;
}

/** The manifest's RDB files, each in the manifest's folder. */
export function manifestFiles(manifestFile: string, manifest: ClusterBackupManifest): string[] {
  return manifest.masters.map((master) => join(dirname(manifestFile), master.file));
}

/** The cluster backups (manifests) in a folder, newest first. */
export function listClusterBackups(folder: string): { file: string; name: string; modified: Date }[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith(MANIFEST_SUFFIX) && !name.startsWith('.'))
    .map((name) => ({ file: join(folder, name), name, modified: statSync(join(folder, name)).mtime }))
    .sort((a, b) => b.modified.getTime() - a.modified.getTime() || b.name.localeCompare(a.name));
}

const short = (nodeId: string): string => nodeId.slice(0, 8);
const ranges = (slots: readonly string[]): string => (slots.length === 0 ? 'no slots' : `slots ${slots.join(', ')}`);

/**
 * Where the live cluster differs from the backup's layout: a node of the backup that is
 * no master now (gone, or a replica after a failover), a master serving other slots, a
 * master the backup does not know. Empty when each file can go back onto the node that
 * serves its slots.
 */
export function layoutDifferences(
  manifest: ClusterBackupManifest,
  masters: readonly LiveMaster[],
  replicas: readonly LiveReplica[] = [],
): string[] {
  const differences: string[] = [];
  const live = new Map(masters.map((m) => [m.nodeId, m]));
  const known = new Set(manifest.masters.map((m) => m.nodeId));
  for (const backedUp of manifest.masters) {
    const now = live.get(backedUp.nodeId);
    const was = `${backedUp.service} (node ${short(backedUp.nodeId)}) served ${ranges(backedUp.slots)} in the backup`;
    if (!now) {
      const replica = replicas.find((r) => r.nodeId === backedUp.nodeId);
      differences.push(`${was} and is ${replica ? 'a replica now (a failover happened)' : 'not in this cluster'}`);
    } else if (now.slots.join(',') !== backedUp.slots.join(',')) {
      differences.push(`${was} and serves ${ranges(now.slots)} now`);
    }
  }
  for (const master of masters) {
    if (!known.has(master.nodeId)) {
      differences.push(
        `${master.service} (node ${short(master.nodeId)}) serves ${ranges(master.slots)} and is no master of the backup`,
      );
    }
  }
  return differences;
}
