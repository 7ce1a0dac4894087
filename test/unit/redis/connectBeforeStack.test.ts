import * as assert from 'node:assert/strict';
import { connectsBeforeStack } from '../../../src/redis/connectBeforeStack';

describe('connecting before the stack answers', () => {
  it('connects at once when the settings name the port', () => {
    assert.equal(connectsBeforeStack({ portNamed: true, sentinel: false, variant: 'single' }), true);
  });

  it("waits when the port is the default one: the stack's Redis may be on another port", () => {
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: false, variant: 'single' }), false);
  });

  it('connects at once to a Sentinel endpoint, which the stack never replaces', () => {
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: true, variant: 'single' }), true);
  });

  it('waits for the cluster variant, whose node addresses only the stack knows', () => {
    assert.equal(connectsBeforeStack({ portNamed: true, sentinel: false, variant: 'cluster' }), false);
    assert.equal(connectsBeforeStack({ portNamed: false, sentinel: true, variant: 'cluster' }), false);
  });
});
