import * as assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClusterBackupManifest,
  layoutDifferences,
  listClusterBackups,
  MANIFEST_FORMAT,
  readManifest,
  writeManifest,
} from '../../../../src/redis/cluster/clusterBackupManifest';

const ID = (digit: string): string => digit.repeat(40);
const MANIFEST: ClusterBackupManifest = {
  format: MANIFEST_FORMAT,
  version: 1,
  project: 'team',
  createdAt: '2026-12-02T10:00:00.000Z',
  statement: 'one file per master',
  masters: [
    { service: 'redis-node-1', nodeId: ID('1'), slots: ['0-5460'], file: 'team-redis-node-1.rdb', keys: 3, bytes: 90 },
    {
      service: 'redis-node-2',
      nodeId: ID('2'),
      slots: ['5461-10922'],
      file: 'team-redis-node-2.rdb',
      keys: 4,
      bytes: 99,
    },
    {
      service: 'redis-node-3',
      nodeId: ID('3'),
      slots: ['10923-16383'],
      file: 'team-redis-node-3.rdb',
      keys: 5,
      bytes: 97,
    },
  ],
};
const SAME = MANIFEST.masters.map(({ service, nodeId, slots }) => ({ service, nodeId, slots }));

describe('the cluster backup manifest: what a restore compares with the live cluster', () => {
  it('finds no difference when the same nodes serve the same slots', () => {
    assert.deepEqual(layoutDifferences(MANIFEST, SAME), []);
  });

  it('names each node whose slots changed, a failover, a node that is gone and a master the backup does not know', () => {
    const resharded = [
      { ...SAME[0], slots: ['0-5000'] },
      { ...SAME[1], slots: ['5001-10922'] },
    ] as typeof SAME;
    assert.deepEqual(layoutDifferences(MANIFEST, [...resharded, SAME[2] as (typeof SAME)[0]]), [
      'redis-node-1 (node 11111111) served slots 0-5460 in the backup and serves slots 0-5000 now',
      'redis-node-2 (node 22222222) served slots 5461-10922 in the backup and serves slots 5001-10922 now',
    ]);
    const failedOver = [
      SAME[0],
      SAME[2],
      { service: 'redis-node-5', nodeId: ID('5'), slots: ['5461-10922'] },
    ] as typeof SAME;
    assert.deepEqual(
      layoutDifferences(MANIFEST, failedOver, [{ service: 'redis-node-2', nodeId: ID('2'), masterId: ID('5') }]),
      [
        'redis-node-2 (node 22222222) served slots 5461-10922 in the backup and is a replica now (a failover happened)',
        'redis-node-5 (node 55555555) serves slots 5461-10922 and is no master of the backup',
      ],
    );
    const recreated = SAME.map((m, i) => ({ ...m, nodeId: ID(String(6 + i)) }));
    assert.equal(layoutDifferences(MANIFEST, recreated).length, 6);
    assert.match(
      layoutDifferences(MANIFEST, recreated)[0] ?? '',
      /redis-node-1 \(node 11111111\) .* is not in this cluster$/,
    );
  });

  it('writes and reads a manifest back; a file that is not one is refused naming it', () => {
    const folder = mkdtempSync(join(tmpdir(), 'shared-redis-manifest-'));
    try {
      const file = join(folder, 'team-2026-12-02T10-00-00.cluster.json');
      writeManifest(file, MANIFEST);
      assert.deepEqual(readManifest(file), MANIFEST);
      assert.deepEqual(
        listClusterBackups(folder).map((b) => b.name),
        ['team-2026-12-02T10-00-00.cluster.json'],
      );
      const other = join(folder, 'other.cluster.json');
      writeFileSync(other, JSON.stringify({ format: 'something-else', version: 1, masters: [] }));
      assert.throws(() => readManifest(other), /^Error: other\.cluster\.json is not a cluster backup manifest/);
      writeFileSync(
        other,
        JSON.stringify({ ...MANIFEST, masters: [{ ...MANIFEST.masters[0], file: '../../etc/passwd' }] }),
      );
      assert.throws(() => readManifest(other), /other\.cluster\.json: master 1 lacks/);
      writeFileSync(other, '{ not json');
      assert.throws(() => readManifest(other), /other\.cluster\.json is not a cluster backup manifest \(/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
  it('never replaces the manifest another window wrote for a cluster backup of the same second', () => {
    const folder = mkdtempSync(join(tmpdir(), 'shared-redis-manifest-'));
    try {
      const file = join(folder, 'team-2026-12-02T10-00-00.cluster.json');
      const mine = { ...MANIFEST, createdAt: 'first window' };
      const theirs = { ...MANIFEST, createdAt: 'second window' };
      const first = writeManifest(file, mine);
      const second = writeManifest(file, theirs);
      assert.deepEqual(readManifest(file), mine, "the first window's manifest is kept");
      assert.equal(second, join(folder, 'team-2026-12-02T10-00-00-2.cluster.json'));
      assert.equal(first, file);
      assert.deepEqual(readManifest(second), theirs);
      assert.deepEqual(
        readdirSync(folder).sort(),
        ['team-2026-12-02T10-00-00-2.cluster.json', 'team-2026-12-02T10-00-00.cluster.json'],
        'no partial file is left',
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
