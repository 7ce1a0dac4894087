// Starts the demo's shared Redis stack through the extension's own StackController (the
// code the Start command runs), in the demo workspace's shared-redis/ folder, then seeds it.
// Usage: node scripts/demo-stack.mjs WORKSPACE_DIR
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, '..');
const { connectEngine } = require(join(root, 'out/src/docker/engine.js'));
const { StackController } = require(join(root, 'out/src/docker/stack/stackController.js'));
const { writeStackFiles } = require(join(root, 'out/src/docker/stack/location.js'));
const { fillEnvTemplate } = require(join(root, 'out/src/docker/stack/dotenvFile.js'));

const workspace = resolve(process.argv[2]);
const dir = join(workspace, 'shared-redis');
const policy = { declared: ['auth', 'user', 'shared'], delimiter: ':' };
const written = writeStackFiles(join(root, 'stack'), dir, policy);
const envFile = join(dir, '.env');
if (written.written.length > 0) {
  // The demo runs offline: the image built from Debian's redis-server stands in for redis:7.2-alpine.
  const image = process.env.REDIS_IMAGE ?? 'shared-redis/redis-offline:7.0.15';
  const env = fillEnvTemplate(readFileSync(envFile, 'utf8'), {
    REDIS_IMAGE: image,
    REDIS_PORT: process.env.DEMO_REDIS_PORT ?? '6379',
  });
  (await import('node:fs')).writeFileSync(envFile, env);
  console.log(
    `demo: created ${dir} (docker-compose.yml, .env with generated passwords, users.acl with a user per service)`,
  );
}
const engine = await connectEngine(undefined);
const controller = new StackController(engine.docker);
const settings = {
  location: { composeFile: join(dir, 'docker-compose.yml'), envFile, source: 'workspace' },
  bundledStackDir: join(root, 'stack'),
  policy,
};
try {
  const result = await controller.start(settings, {
    onProgress: (p) => {
      if (!p.pull) console.log(`demo: ${p.message}`);
    },
  });
  console.log(`demo: stack ${[...result.actions].map(([s, a]) => `${s} ${a}`).join(', ')}`);
} catch (error) {
  console.error(`demo: could not start the stack: ${error.message}`);
  process.exit(1);
}
const password = /^REDIS_PASSWORD=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
const port = /^REDIS_PORT=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1] ?? '6379';
const seeded = spawnSync('node', [join(root, 'scripts/seed.mjs'), port], {
  stdio: 'inherit',
  env: { ...process.env, REDIS_USERNAME: 'operator', REDIS_PASSWORD: password },
});
process.exit(seeded.status ?? 1);
