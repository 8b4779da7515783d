import { describe, expect, it } from 'vitest';
import { USAGE, UsageError } from '../../../src/args.js';
import { BadInput, CannotRun } from '../../../src/errors.js';
import { BadUrl } from '../../../src/facts/request.js';
import { FlowError, IncompleteFlow } from '../../../src/flow/loader-error.js';
import { SshError } from '../../../src/hosts/ssh/errors.js';
import { exitOnError } from '../../../src/modes/exit.js';
import { RecordingError } from '../../../src/record/recording.js';
import { StepFailed } from '../../../src/drive/driver.js';

function ended(error: unknown): { code: number; stderr: string } {
  let stderr = '';
  const code = exitOnError(error, (text) => (stderr += text));
  return { code, stderr };
}

describe('exitOnError: one message and the exit code the error carries', () => {
  it('a wrong command line or URL: exit 2, the message and the usage', () => {
    expect(ended(new UsageError('--url needs a value'))).toEqual({ code: 2, stderr: `badgateway: --url needs a value\n\n${USAGE}\n` });
    expect(ended(new BadUrl('not a URL: x'))).toEqual({ code: 2, stderr: `badgateway: not a URL: x\n\n${USAGE}\n` });
  });

  it('bad input: exit 2, the message alone', () => {
    expect(ended(new FlowError('f.yaml', 3, 'node x must be a mapping'))).toEqual({ code: 2, stderr: 'badgateway: f.yaml:3: node x must be a mapping\n' });
    expect(ended(new IncompleteFlow(['a', 'b']))).toEqual({ code: 2, stderr: 'badgateway: the flow is incomplete:\na\nb\n' });
    expect(ended(new RecordingError('r.json is not JSON'))).toEqual({ code: 2, stderr: 'badgateway: r.json is not JSON\n' });
    expect(ended(new BadInput('no incident x'))).toEqual({ code: 2, stderr: 'badgateway: no incident x\n' });
  });

  it('could not reach or run: exit 3, the message alone', () => {
    expect(ended(new SshError('refused', 'h', 'cannot connect to h: connection refused'))).toEqual({ code: 3, stderr: 'badgateway: cannot connect to h: connection refused\n' });
    expect(ended(new StepFailed('route', 'boom'))).toEqual({ code: 3, stderr: 'badgateway: step route failed: boom\n' });
    expect(ended(new CannotRun('undo failed: x'))).toEqual({ code: 3, stderr: 'badgateway: undo failed: x\n' });
  });

  it('anything else is a bug: exit 3, one line without a stack trace; the stack only when BADGATEWAY_DEBUG asks', () => {
    const error = new TypeError('x is undefined');
    let stderr = '';
    expect(exitOnError(error, (text) => (stderr += text), {})).toBe(3);
    expect(stderr).toBe('badgateway: unexpected error: TypeError: x is undefined (a bug in badgateway; BADGATEWAY_DEBUG=1 shows where)\n');
    stderr = '';
    expect(exitOnError(error, (text) => (stderr += text), { BADGATEWAY_DEBUG: '1' })).toBe(3);
    expect(stderr).toBe(`badgateway: unexpected error: ${error.stack}\n`);
    stderr = '';
    exitOnError('a thrown string', (text) => (stderr += text), {});
    expect(stderr).toBe('badgateway: unexpected error: a thrown string (a bug in badgateway; BADGATEWAY_DEBUG=1 shows where)\n');
  });

  it('terminal controls in a message never reach the terminal', () => {
    expect(ended(new CannotRun('undo failed: \x1b[2Jgone\x07')).stderr).toBe('badgateway: undo failed: gone\n');
  });
});
