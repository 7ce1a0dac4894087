import * as assert from 'node:assert/strict';
import { describeSeconds, MAX_TTL_SECONDS, parseTtl, TTL_FORMS_MESSAGE } from '../../../../src/redis/mutations';

describe('parseTtl', () => {
  const accepted: [string, number][] = [
    ['90', 90],
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['2d', 172_800],
    ['1', 1],
    [' 45 ', 45],
    ['10 m', 600],
    ['2H', 7200],
    ['36500d', MAX_TTL_SECONDS],
  ];
  for (const [input, seconds] of accepted) {
    it(`accepts ${JSON.stringify(input)} as ${seconds} s`, () => {
      assert.deepEqual(parseTtl(input), { ok: true, seconds });
    });
  }

  const rejected = [
    'abc',
    '-5',
    '1.5h',
    '',
    '   ',
    '99999999999999999999',
    '0',
    '0s',
    '36501d',
    '5w',
    '1h30m',
    '+5',
    '5 s s',
    '1e3',
    '0x10',
    '٣',
    'NaN',
    'Infinity',
    '5ms',
  ];
  for (const input of rejected) {
    it(`rejects ${JSON.stringify(input)} with the accepted forms`, () => {
      assert.deepEqual(parseTtl(input), { ok: false, message: TTL_FORMS_MESSAGE });
    });
  }

  it('names every accepted form in its one message', () => {
    for (const form of ['90', '90s', '30m', '1h', '2d']) assert.ok(TTL_FORMS_MESSAGE.includes(form), form);
  });

  it('describes seconds for a confirmation', () => {
    assert.equal(describeSeconds(90), '1m 30s');
    assert.equal(describeSeconds(7200), '2h');
    assert.equal(describeSeconds(90_061), '1d 1h 1m 1s');
  });
});
