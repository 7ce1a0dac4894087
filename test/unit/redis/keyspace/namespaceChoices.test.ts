import * as assert from 'node:assert/strict';
import { NamespaceModel } from '../../../../src/redis/keyspace/namespaceModel';
import { namespaceChoices } from '../../../../src/redis/keyspace/namespaceChoices';

function modelOf(keys: readonly string[], maxNamespaces?: number): NamespaceModel {
  const model = new NamespaceModel(maxNamespaces === undefined ? {} : { maxNamespaces });
  for (const key of keys) model.add(Buffer.from(key));
  model.finish('complete');
  return model;
}

describe('namespaceChoices: the namespaces offered to pick from', () => {
  it('offers every top-level namespace before the ids under one of them, in tree order', () => {
    const keys = [
      ...Array.from({ length: 30 }, (_, i) => `user:${i}:profile`),
      'auth:session:1',
      'auth:session:2',
      'shared:flags',
    ];
    const { nodes, notListed } = namespaceChoices(modelOf(keys), 5);
    assert.deepEqual(
      nodes.map((n) => n.displayPath()),
      ['user', 'user:0', 'auth', 'auth:session', 'shared'],
    );
    assert.equal(notListed, 29);
  });

  it('counts the namespaces past maxNamespaces among those not listed', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `ns${i}:key`);
    const model = modelOf(keys, 40);
    assert.ok(model.truncated);
    const { nodes, notListed } = namespaceChoices(model, 1000);
    assert.equal(nodes.length, 40);
    assert.equal(notListed, 60);
  });
});
