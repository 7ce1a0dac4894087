import * as assert from 'node:assert/strict';
import { isReplyError } from '../../../src/redis/errors';
import { useRedisServer } from '../../support/useRedisServer';

describe('isReplyError: a refusal by the server, not a failed connection', function () {
  this.timeout(10_000);
  const server = useRedisServer();

  it("is true for the server's error reply in a pipeline and for an awaited command", async () => {
    const client = await server.connect();
    await client.set('replyerror:string', 'x');
    const replies = await client.pipeline().hget('replyerror:string', 'f').exec();
    const [pipelined] = replies?.[0] ?? [];
    assert.ok(pipelined, 'WRONGTYPE comes back as the reply error');
    assert.equal(isReplyError(pipelined), true);
    const awaited = await client.call('NOSUCHCOMMAND').then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.equal(isReplyError(awaited), true);
  });

  it('is false for a connection failure, a plain Error and a non-error', async () => {
    const client = await server.connect();
    client.disconnect();
    const closed = await client.get('x').then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(closed instanceof Error, 'a command on a closed connection fails');
    assert.equal(isReplyError(closed), false);
    assert.equal(isReplyError(new Error('ERR not from a server')), false);
    assert.equal(isReplyError('ReplyError'), false);
  });
});
