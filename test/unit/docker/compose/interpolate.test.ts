import * as assert from 'node:assert/strict';
import { interpolate, InterpolationError, Lookup } from '../../../../src/docker/compose/interpolate';

const vars: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '6380', B: 'bee' };
const lookup: Lookup = (name) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined);
const run = (template: string): string => interpolate(template, lookup);

function throwsInterpolation(template: string, message: string, variable?: string): void {
  assert.throws(
    () => run(template),
    (error: unknown) => {
      assert.ok(error instanceof InterpolationError);
      assert.equal(error.message, message);
      assert.equal(error.variable, variable);
      return true;
    },
  );
}

describe('interpolate', () => {
  it('leaves text without $ alone', () => {
    assert.equal(run('redis:7.2-alpine'), 'redis:7.2-alpine');
  });

  it('replaces $VAR and ${VAR}, unset ones by nothing', () => {
    assert.equal(run('$SET'), 'value');
    assert.equal(run('${SET}'), 'value');
    assert.equal(run('a-$SET-b'), 'a-value-b');
    assert.equal(run('$SET.x'), 'value.x');
    assert.equal(run('${SET}x'), 'valuex');
    assert.equal(run('[$UNSET]'), '[]');
    assert.equal(run('[${UNSET}]'), '[]');
    assert.equal(run('127.0.0.1:${PORT}:6379'), '127.0.0.1:6380:6379');
  });

  it('reads $NAME_WITH_DIGITS9 greedily, as a shell does', () => {
    vars['A_1'] = 'one';
    try {
      assert.equal(run('$A_1x'), '');
      assert.equal(run('${A_1}x'), 'onex');
    } finally {
      delete vars['A_1'];
    }
  });

  it('turns $$ into a literal $ and does not look it up', () => {
    assert.equal(run('$$SET'), '$SET');
    assert.equal(run('$${SET}'), '${SET}');
    assert.equal(run('a$$$SET'), 'a$value');
    assert.equal(run('$$'), '$');
  });

  it(':- uses the default when unset or empty, - only when unset', () => {
    assert.equal(run('${SET:-d}'), 'value');
    assert.equal(run('${EMPTY:-d}'), 'd');
    assert.equal(run('${UNSET:-d}'), 'd');
    assert.equal(run('${SET-d}'), 'value');
    assert.equal(run('${EMPTY-d}'), '');
    assert.equal(run('${UNSET-d}'), 'd');
    assert.equal(run('${UNSET:-}'), '');
    assert.equal(run('${UNSET:-redis:7.2-alpine}'), 'redis:7.2-alpine');
    assert.equal(run('${UNSET:-a b:c/d}'), 'a b:c/d');
  });

  it(':+ uses the alternative when set and not empty, + when set', () => {
    assert.equal(run('${SET:+alt}'), 'alt');
    assert.equal(run('${EMPTY:+alt}'), '');
    assert.equal(run('${UNSET:+alt}'), '');
    assert.equal(run('${SET+alt}'), 'alt');
    assert.equal(run('${EMPTY+alt}'), 'alt');
    assert.equal(run('${UNSET+alt}'), '');
  });

  it(':? fails when unset or empty, ? only when unset, naming the variable and the message', () => {
    assert.equal(run('${SET:?need it}'), 'value');
    assert.equal(run('${SET?need it}'), 'value');
    assert.equal(run('${EMPTY?need it}'), '');
    throwsInterpolation('${EMPTY:?need it}', 'required variable EMPTY is missing a value: need it', 'EMPTY');
    throwsInterpolation(
      '${UNSET:?set UNSET in .env}',
      'required variable UNSET is missing a value: set UNSET in .env',
      'UNSET',
    );
    throwsInterpolation('${UNSET?need it}', 'required variable UNSET is missing a value: need it', 'UNSET');
    throwsInterpolation('x ${UNSET:?}', 'required variable UNSET is missing a value', 'UNSET');
  });

  it('nests defaults and interpolates the words', () => {
    assert.equal(run('${UNSET:-${B:-x}}'), 'bee');
    assert.equal(run('${UNSET:-${ALSO_UNSET:-x}}'), 'x');
    assert.equal(run('${UNSET:-${ALSO_UNSET:-${SET}}}-tail'), 'value-tail');
    assert.equal(run('${UNSET:-$B}'), 'bee');
    assert.equal(run('${SET:+[$B]}'), '[bee]');
    assert.equal(run('${UNSET:-a$$b}'), 'a$b');
    throwsInterpolation('${UNSET:?missing ${B}}', 'required variable UNSET is missing a value: missing bee', 'UNSET');
    assert.equal(run('${UNSET:-${A}${B}}'), 'bee');
    assert.equal(run('${A:-x}${B:-y}'), 'xbee');
  });

  it('evaluates words eagerly, as compose-go does', () => {
    throwsInterpolation('${SET:-${UNSET:?inner}}', 'required variable UNSET is missing a value: inner', 'UNSET');
  });

  it('closes at the first balancing brace, so a stray } stays literal', () => {
    assert.equal(run('${SET}}'), 'value}');
    assert.equal(run('${UNSET:-{x}}'), '{x}');
  });

  it('reports every other use of $ as an invalid template', () => {
    for (const template of [
      '$',
      'cost: 5$',
      '$1',
      '$ x',
      '${}',
      '${1A}',
      '${A.B}',
      '${A:x}',
      '${UNCLOSED',
      '${A:-${B}',
    ]) {
      // Never the template itself: it is often a password.
      throwsInterpolation(
        template,
        'invalid interpolation format: a "$" starts no ${VAR} or $VAR (write "$$" for a literal "$"; the value is not shown, it may be a secret)',
      );
    }
  });

  it('records the variables a template looked up', () => {
    const used = new Set<string>();
    interpolate('${A:-${B}} $C $$D', lookup, used);
    assert.deepEqual([...used].sort(), ['A', 'B', 'C']);
  });
});
