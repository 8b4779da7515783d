import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/args.js';
import { BadgatewayError } from '../../src/errors.js';
import { parseRecording } from '../../src/record/recording.js';
import { redactArgv, redactText } from '../../src/record/redact.js';
import { commandLine } from '../../src/shell/quote.js';
import { stripControl } from '../../src/shell/sanitize.js';
import { HOSTILE_PIECES, RAW_CONTROL } from '../hostile.js';

// Properties of issue 16's mechanisms, over inputs fast-check makes up and shrinks when one fails: any text
// at all, mixed with the escape sequences and invisible characters a hostile box would send.
const hostileText = fc.array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), { maxLength: 12 }).map((parts) => parts.join(''));

/** What ends a run on bad input: one of badgateway's typed errors, never a crash of another kind. */
function typedOrNothing(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    return error instanceof BadgatewayError;
  }
}

describe('hostile input, as properties', () => {
  it('the sanitiser leaves no raw control, and a second pass changes nothing', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const shown = stripControl(text);
        return !RAW_CONTROL.test(shown) && stripControl(shown) === shown;
      }),
      { numRuns: 2000 },
    );
  });

  it('a command line shown to a person parses back, in bash, to exactly the argv that ran', () => {
    // One bash per batch of argvs: each prints its words NUL-separated, argvs separated by a line of its own.
    fc.assert(
      fc.property(
        fc.array(
          fc.array(
            hostileText.filter((w) => !w.includes('\0')),
            { minLength: 1, maxLength: 4 },
          ),
          { minLength: 1, maxLength: 20 },
        ),
        (argvs) => {
          const script = argvs.map((argv) => `printf '%s\\0' ${commandLine(argv, 'person')}; printf '\\n--end--\\n'`).join('\n');
          const out = execFileSync('bash', ['--norc', '-c', script], { encoding: 'utf8' });
          const parsed = out
            .split('\n--end--\n')
            .slice(0, -1)
            .map((chunk) => chunk.split('\0').slice(0, -1));
          expect(parsed).toEqual(argvs);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a secret given by name, flag or URL never survives redaction, in text or in argv', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).filter((s) => /\d/.test(s) && /[a-z]/i.test(s));
    fc.assert(
      fc.property(secret, hostileText, (value, noise) => {
        const text = [`password=${value}`, `Authorization: Bearer ${value}`, `redis://:${value}@cache:6379`, `--requirepass ${value}`, noise].join('\n');
        // -pSECRET is a password only to a MySQL client: `ssh -p 22` and `mkdir -p` keep theirs.
        const argvs = [
          ['curl', '-u', `admin:${value}`, '--password', value],
          ['mysql', '-u', 'root', `-p${value}`],
        ];
        return !redactText(text).includes(value) && !argvs.some((argv) => redactArgv(argv).some((a) => a.includes(value)));
      }),
      { numRuns: 500 },
    );
  });

  it('a recording of any shape is read or refused with a typed error, never a crash', () => {
    const shapes = fc.oneof(
      fc.json(),
      fc.string({ unit: 'binary' }),
      fc
        .record({ format: fc.constantFrom('badgateway-recording', 'x'), version: fc.oneof(fc.integer(), fc.string()), hosts: fc.anything(), commands: fc.anything(), trail: fc.anything() })
        .map((r) => JSON.stringify(r)),
      fc
        .constantFrom('__proto__', 'constructor', 'toString', 'proxy')
        .map((role) => JSON.stringify({ format: 'badgateway-recording', version: 1, hosts: [{ role, label: 'x' }], commands: { [role]: [] } })),
    );
    fc.assert(
      fc.property(shapes, (text) => typedOrNothing(() => parseRecording(text))),
      { numRuns: 1500 },
    );
  });

  it('any command line is parsed or refused with a typed error, never a crash', () => {
    const word = fc.oneof(
      fc.constantFrom(
        '--json',
        '--apply',
        '--yes',
        '--url',
        '--ssh',
        '--host',
        '--record',
        '--replay',
        '--report',
        '--flow',
        'route',
        'practice',
        'undo',
        'lint',
        '--list',
        '--header',
        '-h',
        '--accept-new-host-key',
      ),
      hostileText,
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => typedOrNothing(() => parseArgs(argv))),
      { numRuns: 3000 },
    );
  });
});
