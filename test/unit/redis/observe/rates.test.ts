import * as assert from 'node:assert/strict';
import { CommandRates, describeRates } from '../../../../src/redis/observe/rates';

describe('Command rates per service and namespace', function () {
  it('gives each service its rate and its namespaces', function () {
    const rates = new CommandRates(0);
    for (let i = 0; i < 12_400; i++) rates.record('user-service', i < 12_000 ? 'user' : 'shared');
    for (let i = 0; i < 300; i++) rates.record('auth-service', 'auth');
    rates.record('default', undefined);
    const window = rates.close(10_000);
    assert.equal(window.total, 12_701);
    assert.equal(
      describeRates('last 10 s', window),
      'last 10 s: user-service 1,240/s (user: 1,200/s, shared: 40/s), auth-service 30/s (auth: 30/s), default 0.1/s',
    );
  });

  it('starts each window afresh', function () {
    const rates = new CommandRates(0);
    rates.record('auth-service', 'auth');
    rates.close(1000);
    const next = rates.close(2000);
    assert.equal(next.total, 0);
    assert.equal(describeRates('last 1 s', next), 'last 1 s: no commands');
  });
});
