import { describe, expect, it } from 'vitest';
import { classifyMessage } from '../../../src/nginx/error-log.js';

// Wordings nginx writes that the captures did not produce on this box (other errno, other OpenSSL).
describe('classifyMessage on other wordings', () => {
  it.each([
    ['writev() failed (32: Broken pipe) while sending request to upstream', 'reset', 32],
    ['readv() failed (104: Connection reset by peer) while reading upstream', 'reset', 104],
    ['send() failed (104: Connection reset by peer) while sending request to upstream', 'reset', 104],
    ['recv() failed (111: Connection refused) while reading response header from upstream', 'refused', 111],
    ['connect() failed (110: Connection timed out) while connecting to upstream', 'connect-timeout', 110],
    ['connect() to 10.0.0.5:8080 failed (13: Permission denied) while connecting to upstream', 'permission-denied', 13],
    ['connect() to [::1]:9000 failed (99: Cannot assign requested address) while connecting to upstream', 'other', 99],
    ['upstream prematurely closed FastCGI stdout while reading response header from upstream', 'premature-close', null],
    ['upstream sent duplicate header line: "Content-Length: 1", previous value: "Content-Length: 2" while reading response header from upstream', 'invalid-header', null],
    ['upstream sent invalid chunked response while reading upstream', 'invalid-response', null],
    ['upstream buffer is too small to read response while reading response header from upstream', 'other', null],
  ])('%s', (message, kind, errno) => {
    expect(classifyMessage(message)).toMatchObject({ kind, errno });
  });

  it('takes the reason out of OpenSSL 1.1 and 3 error strings', () => {
    expect(classifyMessage('SSL_do_handshake() failed (SSL: error:1416F086:SSL routines:tls_process_server_certificate:certificate verify failed) while SSL handshaking to upstream')).toEqual({
      kind: 'tls-handshake',
      errno: null,
      detail: 'certificate verify failed',
    });
    expect(classifyMessage('SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116) while reading response header from upstream')).toEqual({
      kind: 'tls-handshake',
      errno: null,
      detail: 'tlsv13 alert certificate required',
    });
  });

  it('keeps a FastCGI stderr text that nginx cut short', () => {
    expect(classifyMessage('FastCGI sent in stderr: "PHP message: PHP Fatal error:  Uncaught Exception')).toEqual({
      kind: 'fastcgi-stderr',
      errno: null,
      detail: 'PHP message: PHP Fatal error:  Uncaught Exception',
    });
  });

  it('does not take an errno from quoted backend text', () => {
    expect(classifyMessage('FastCGI sent in stderr: "open (13: denied)" while reading response header from upstream').errno).toBeNull();
  });
});
