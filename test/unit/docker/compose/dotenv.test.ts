import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DotenvError, parseDotenv, readDotenvFile } from '../../../../src/docker/compose/dotenv';

describe('parseDotenv', () => {
  it('reads KEY=VALUE lines, skipping blanks and comments', () => {
    const text = '# a comment\n\nREDIS_PORT=6380\n   # indented comment\nREDIS_IMAGE=redis:7.2-alpine\n';
    assert.deepEqual(parseDotenv(text), { REDIS_PORT: '6380', REDIS_IMAGE: 'redis:7.2-alpine' });
  });

  it('keeps empty values, trims around the key and trailing blanks, and takes "export " off', () => {
    assert.deepEqual(parseDotenv('EMPTY=\nexport A=1\n  B = two  \nexport\tC=3'), {
      EMPTY: '',
      A: '1',
      B: 'two',
      C: '3',
    });
  });

  it('accepts KEY: VALUE too', () => {
    assert.deepEqual(parseDotenv('A: 1\nB:two'), { A: '1', B: 'two' });
  });

  it('cuts inline comments after " #" on unquoted values only', () => {
    assert.deepEqual(
      parseDotenv('A=one # comment\nB=two#not-a-comment\nC="three # kept"\nD=\'four # kept\' # comment'),
      {
        A: 'one',
        B: 'two#not-a-comment',
        C: 'three # kept',
        D: 'four # kept',
      },
    );
  });

  it('keeps single-quoted values literal', () => {
    assert.deepEqual(parseDotenv(`A='a\\nb $HOME \${X} "q"'\nB='it\\'s'`), { A: 'a\\nb $HOME ${X} "q"', B: "it's" });
  });

  it('expands escapes in double quotes and interpolates them', () => {
    const parsed = parseDotenv('A="line1\\nline2\\ttab \\"quoted\\" back\\\\slash"\nB="cost \\$5"\nC="${A:+set}"');
    assert.deepEqual(parsed, { A: 'line1\nline2\ttab "quoted" back\\slash', B: 'cost $5', C: 'set' });
  });

  it('lets quoted values span lines', () => {
    assert.deepEqual(parseDotenv('A="one\ntwo"\nB=\'x\ny\'\nC=3'), { A: 'one\ntwo', B: 'x\ny', C: '3' });
  });

  it('interpolates unquoted values with the lookup first, then earlier keys', () => {
    const lookup = (name: string): string | undefined => (({ FROM_ENV: 'env' }) as Record<string, string>)[name];
    const parsed = parseDotenv('BASE=base\nA=${BASE}-x\nB=$FROM_ENV\nC=${NOPE:-dflt}\nD=$$literal', lookup);
    assert.deepEqual(parsed, { BASE: 'base', A: 'base-x', B: 'env', C: 'dflt', D: '$literal' });
  });

  it('takes a bare KEY from the lookup, or leaves it out', () => {
    const lookup = (name: string): string | undefined => (name === 'HOME_DIR' ? '/home/dev' : undefined);
    assert.deepEqual(parseDotenv('HOME_DIR\nMISSING\nA=1', lookup), { HOME_DIR: '/home/dev', A: '1' });
  });

  it('handles CRLF files and a byte-order mark', () => {
    assert.deepEqual(parseDotenv('\uFEFFA=1\r\nB="x"\r\n'), { A: '1', B: 'x' });
  });

  it('lets a later line win', () => {
    assert.deepEqual(parseDotenv('A=1\nA=2'), { A: '2' });
  });

  it('reports bad lines with their line number', () => {
    const cases: Array<[string, number, string]> = [
      ['A=1\nB="open\n\n', 2, 'the quoted value of B has no closing "'],
      ["A='open", 1, "the quoted value of A has no closing '"],
      ['A=1\n\nBAD KEY=1', 3, 'a variable name contains a space (the line is not shown, it may be a secret)'],
      [
        'A=1\nB$=secret',
        2,
        'unexpected character "$" in a variable name (names hold letters, digits, "_", ".", "-", "[" and "]"; the line is not shown, it may be a secret)',
      ],
      ['=value', 1, 'a line starts with "=" or ":" but names no variable'],
      ['A="x" trailing', 1, 'unexpected text after the closing quote of A'],
      // The `${VAR:?message}` text is part of B's value, which may be a secret: left out.
      ['A=1\nB=${NOPE:?needed}', 2, 'B: required variable NOPE is missing a value'],
    ];
    for (const [text, line, message] of cases) {
      assert.throws(
        () => parseDotenv(text),
        (error: unknown) => {
          assert.ok(error instanceof DotenvError, text);
          assert.equal(error.message, message);
          assert.equal(error.line, line, text);
          return true;
        },
      );
    }
  });
});

describe('readDotenvFile', () => {
  it('reads a file, or gives undefined when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), 'A=1\n');
      assert.deepEqual(await readDotenvFile(join(dir, '.env')), { A: '1' });
      assert.equal(await readDotenvFile(join(dir, 'missing.env')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
