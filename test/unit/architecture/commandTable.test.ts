import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Runs without VS Code: the table's ids are read from its source (its handlers import
// `vscode`, so the module itself loads only inside the editor; the integration suite
// compares the loaded table too).
const root = join(__dirname, '..', '..', '..', '..');

describe('the command table (src/commands/table.ts)', () => {
  it('lists every command package.json contributes, and no other', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { commands: Array<{ command: string }> };
    };
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    const table = readFileSync(join(root, 'src', 'commands', 'table.ts'), 'utf8');
    const body = table.slice(table.indexOf('export const COMMANDS = {'), table.indexOf('} as const satisfies'));
    const inTable = [...body.matchAll(/^\s*'(sharedRedis\.[A-Za-z]+)':/gm)].map((m) => m[1] as string).sort();
    assert.ok(inTable.length > 0, 'no ids found in the table');
    assert.deepEqual(
      inTable.filter((id) => !contributed.includes(id)),
      [],
      'in the table but not contributed',
    );
    assert.deepEqual(
      contributed.filter((id) => !inTable.includes(id)),
      [],
      'contributed but not in the table',
    );
    assert.equal(new Set(inTable).size, inTable.length, 'an id is listed twice');
  });
});
