import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { EngineEvent, followProjectEvents } from '../../../src/docker/events';
import { PROJECT_LABEL } from '../../../src/docker/stack/labels';
import { requireEngine } from '../../support/engine';
import { eventually } from '../../support/eventually';
import { OFFLINE_REDIS_IMAGE } from '../../support/stackFixture';

describe("a project's engine events", function () {
  this.timeout(60_000);
  const project = `srtest-events-${randomBytes(4).toString('hex')}`;
  let docker: Docker;
  const created: Docker.Container[] = [];

  before(async function () {
    if (await requireEngine(this)) docker = new Docker({ socketPath: '/var/run/docker.sock' });
  });
  after(async () => {
    for (const container of created) await container.remove({ force: true }).catch(() => undefined);
  });

  it('are still followed after a quiet spell longer than the client request timeout', async () => {
    // A client like the user's engine connection: a request times out after 2 s. The event
    // stream is not a request: a stack nobody touches has no events for hours.
    const withRequestTimeout = new Docker({ socketPath: '/var/run/docker.sock', timeout: 2000 });
    const events: EngineEvent[] = [];
    const drops: string[] = [];
    let connected = false;
    const subscription = followProjectEvents(
      withRequestTimeout,
      project,
      (event) => events.push(event),
      (up, error) => {
        connected = up;
        if (!up) drops.push(error?.message ?? 'the stream ended');
      },
    );
    try {
      await eventually('the event stream to connect', () => connected);
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const container = await docker.createContainer({
        Image: OFFLINE_REDIS_IMAGE,
        Cmd: ['redis-server'],
        Labels: { [PROJECT_LABEL]: project },
      });
      created.push(container);
      await eventually('the create event', () => events.some((e) => e.action === 'create' && e.id === container.id));
      assert.deepEqual(drops, [], 'the stream was dropped during the quiet spell');
    } finally {
      subscription.dispose();
    }
  });
});
