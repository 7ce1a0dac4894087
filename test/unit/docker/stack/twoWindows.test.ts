import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv } from '../../../../src/docker/compose/dotenv';
import { aclFileHasUser } from '../../../../src/docker/stack/serviceAccess';
import { serviceUser } from '../../../../src/redis/acl/rules';
import { runInAnotherProcess } from '../../../support/anotherProcess';

/** The compiled module a second process loads, as a second VS Code window's extension host would. */
const SERVICE_ACCESS = join(__dirname, '../../../../src/docker/stack/serviceAccess.js');

/** One window's Add Service Users for `namespace`, in a process of its own, started at `startAt`. */
function addInAnotherProcess(dir: string, namespace: string, startAt: number): Promise<string> {
  const script = `
    const access = require(${JSON.stringify(SERVICE_ACCESS)});
    while (Date.now() < ${startAt}) {}
    const files = { envFile: ${JSON.stringify(join(dir, '.env'))}, aclFile: ${JSON.stringify(join(dir, 'acl', 'users.acl'))} };
    access.addServiceUsers(files, [${JSON.stringify(namespace)}], { declared: [${JSON.stringify(namespace)}], delimiter: ':' })
      .then((added) => process.stdout.write(JSON.stringify(added)), (error) => { process.stderr.write(String(error)); process.exit(1); });`;
  return runInAnotherProcess(script);
}

describe('two windows changing one stack folder at once', function () {
  this.timeout(120_000);
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'two-windows-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('Add Service Users in two windows at once keeps both passwords in .env and both users in users.acl, every time', async () => {
    const rounds = 12;
    const lost: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const dir = join(root, `stack-${round}`);
      mkdirSync(join(dir, 'acl'), { recursive: true });
      writeFileSync(join(dir, '.env'), 'REDIS_PASSWORD=operator-password-0123456789\n', { mode: 0o600 });
      const startAt = Date.now() + 300;
      await Promise.all([
        addInAnotherProcess(dir, 'billing', startAt),
        addInAnotherProcess(dir, 'orders', startAt),
      ]);
      const env = parseDotenv(readFileSync(join(dir, '.env'), 'utf8'));
      for (const namespace of ['billing', 'orders']) {
        const inEnv = env[serviceUser(namespace).envKey] !== undefined;
        const inAcl = aclFileHasUser(join(dir, 'acl', 'users.acl'), `${namespace}-service`);
        if (!inEnv || !inAcl) lost.push(`round ${round}: ${namespace} (.env ${inEnv}, users.acl ${inAcl})`);
      }
    }
    assert.deepEqual(lost, [], `a window's service user was lost: ${lost.join('; ')}`);
  });
});
