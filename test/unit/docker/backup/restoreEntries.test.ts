import * as assert from 'node:assert/strict';
import { newestRdbVersion, PersistenceConfig, restoreEntries } from '../../../../src/docker/backup';

const redis7: PersistenceConfig = {
  fromConfig: true,
  dir: '/data',
  dbfilename: 'dump.rdb',
  appendonly: true,
  appenddirname: 'appendonlydir',
  appendfilename: 'appendonly.aof',
  redisVersion: '7.0.15',
};

/** Names and kinds only: what a restore writes into the data folder, in order. */
const plan = (config: PersistenceConfig): string[] =>
  restoreEntries(config, '/backups/x.rdb').map((e) => {
    if (e.type === 'bytes') return `${e.name} = ${JSON.stringify(e.data.toString())}`;
    if (e.type === 'file') return `${e.name} <- ${e.source}`;
    return `${e.name}/`;
  });

describe('what a restore writes into the data folder', () => {
  it('with Redis 7 and appendonly: replaces the AOF folder by one whose manifest names the backup as its base', () => {
    assert.deepEqual(plan(redis7), [
      'appendonlydir = ""',
      'appendonlydir/',
      'appendonlydir/appendonly.aof.1.base.rdb <- /backups/x.rdb',
      'appendonlydir/appendonly.aof.manifest = "file appendonly.aof.1.base.rdb seq 1 type b\\n"',
      'dump.rdb <- /backups/x.rdb',
    ]);
  });

  it('follows renamed files and folders', () => {
    assert.deepEqual(
      plan({ ...redis7, dbfilename: 'shared.rdb', appenddirname: 'aof', appendfilename: 'shared.aof' }),
      [
        'aof = ""',
        'aof/',
        'aof/shared.aof.1.base.rdb <- /backups/x.rdb',
        'aof/shared.aof.manifest = "file shared.aof.1.base.rdb seq 1 type b\\n"',
        'shared.rdb <- /backups/x.rdb',
      ],
    );
  });

  it('with Redis 6 and appendonly: the single AOF file becomes the backup (an RDB preamble alone)', () => {
    assert.deepEqual(plan({ ...redis7, appenddirname: undefined, redisVersion: '6.2.14' }), [
      'appendonly.aof <- /backups/x.rdb',
      'dump.rdb <- /backups/x.rdb',
    ]);
  });

  it('without appendonly: only the RDB file', () => {
    assert.deepEqual(plan({ ...redis7, appendonly: false }), ['dump.rdb <- /backups/x.rdb']);
  });
});

describe('the newest RDB format a Redis release reads', () => {
  it('follows rdb.h, and leaves releases it does not know to redis-check-rdb', () => {
    assert.deepEqual(
      ['3.2.12', '4.0.14', '5.0.7', '6.2.14', '7.0.15', '7.2.4', '7.4.1', '8.0.0', 'garbage'].map(newestRdbVersion),
      [7, 8, 9, 9, 10, 11, 12, undefined, undefined],
    );
  });
});
