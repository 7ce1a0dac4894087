import * as assert from 'node:assert/strict';
import { connectEngine } from '../../../src/docker/engine';
import { requireEngine } from '../../support/engine';
import { OFFLINE_REDIS_IMAGE } from '../../support/stackFixture';

describe('the engine connection waits for slow replies', function () {
  this.timeout(30_000);

  it("a request the engine answers after longer than the probe's 3 s (a loaded engine starting a container) still gets its answer", async function () {
    const engine = await requireEngine(this);
    if (!engine) return;
    const { docker } = await connectEngine(undefined);
    const container = await docker.createContainer({
      Image: OFFLINE_REDIS_IMAGE,
      Cmd: ['redis-server', '--save', ''],
      Labels: { 'dev.shared-redis.test': 'engine-replies' },
    });
    try {
      await container.start();
      // `wait` answers only when the container exits: 5 s from now, stopped by another client.
      const stopper = setTimeout(
        () =>
          void engine.docker
            .getContainer(container.id)
            .stop({ t: 1 })
            .catch(() => undefined),
        5_000,
      );
      const exit = (await container.wait().finally(() => clearTimeout(stopper))) as { StatusCode: number };
      assert.equal(typeof exit.StatusCode, 'number');
    } finally {
      await container.remove({ force: true });
    }
  });
});
