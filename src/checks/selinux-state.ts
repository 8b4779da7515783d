import { shownCommand } from '../shell/quote.js';
import type { KnownFacts } from '../facts/keys.js';
import type { CommandResult } from '../hosts/host.js';
import { BOOLEAN, nginxConnectDenials, parseAvcDenials, parseGetenforce, parseGetsebool, portType, type AvcDenial } from '../system/selinux.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';

export const AUDIT_LOG = '/var/log/audit/audit.log';
const AUDIT_TAIL_BYTES = 262_144;

const firstLine = (r: CommandResult | undefined) => (r ? ((r.stdout.trim() || r.stderr.trim() || r.failure || '').split('\n')[0] ?? '') : '');

/** Denials from ausearch, or from the raw audit log when ausearch is not installed. */
function denialsFrom(results: readonly CommandResult[]): { denials: AvcDenial[]; source: CommandResult | undefined } {
  const ausearch = resultOf(results, 'ausearch');
  const tail = resultOf(results, 'tail');
  const source = ausearch && ausearch.failure !== 'not-found' ? ausearch : tail;
  return { denials: source?.code === 0 ? parseAvcDenials(source.stdout) : [], source };
}

/**
 * nginx's connect() to a TCP backend failed with 13 (Permission denied): on SELinux boxes that is the
 * policy, not file permissions. Reads the mode, the boolean that lets httpd_t connect anywhere, and recent
 * AVC denials of nginx's connections.
 */
export const selinuxState = defineCheck({
  id: 'selinux.state',
  guide: 'selinux',
  outcomes: ['enforcing-denies', 'enforcing-allows', 'not-selinux'],
  needs: ['upstream.port'],
  early: 'first-round',
  learns: ['selinux.mode', 'selinux.boolean'],
  learnsOn: { 'enforcing-denies': ['selinux.denial'] },

  plan(_facts, done) {
    if (done.length === 0) return [{ argv: ['getenforce'] }, { argv: ['getsebool', BOOLEAN] }, { argv: ['ausearch', '-m', 'avc', '-ts', 'recent'] }];
    const ausearch = resultOf(done, 'ausearch');
    if (ausearch?.failure === 'not-found' && !resultOf(done, 'tail')) return [{ argv: ['tail', '-c', String(AUDIT_TAIL_BYTES), '--', AUDIT_LOG] }];
    return [];
  },

  interpret(facts, results) {
    const port = need(facts, 'upstream.port');
    const enforce = resultOf(results, 'getenforce');
    const sebool = resultOf(results, 'getsebool');
    const mode = enforce ? parseGetenforce(enforce) : 'absent';
    const allowed = sebool?.code === 0 ? parseGetsebool(sebool.stdout, BOOLEAN) : null;
    const { denials, source } = denialsFrom(results);
    const mine = nginxConnectDenials(denials, port).filter((d) => !d.permissive);
    const evidence: Evidence[] = [
      { command: shownCommand(['getenforce']), lines: [firstLine(enforce) || 'no output'] },
      { command: shownCommand(['getsebool', BOOLEAN]), lines: [firstLine(sebool) || 'no output'] },
    ];
    if (source) {
      evidence.push({
        command: shownCommand(source.argv),
        lines: mine.length ? mine.slice(-3).map((d) => d.line) : [source.code === 0 ? `no AVC denial of nginx connecting to port ${port}` : firstLine(source)],
      });
    }
    const learned: KnownFacts = { 'selinux.mode': mode, 'selinux.boolean': allowed === null ? 'unknown' : allowed ? 'on' : 'off' };

    if (mode !== 'enforcing') {
      const said = mode === 'absent' ? 'SELinux tools are not installed' : `SELinux is ${mode}`;
      return { outcome: 'not-selinux', facts: learned, summary: `${said}: it cannot refuse nginx's connection`, evidence };
    }
    const denial = mine.at(-1);
    if (denial || allowed === false) {
      const type = denial ? portType(denial) : null;
      const text = denial ? `${denial.line}` : `${BOOLEAN} is off, so nginx (httpd_t) may only connect to ports labelled for web services`;
      return {
        outcome: 'enforcing-denies',
        facts: { ...learned, 'selinux.denial': text },
        summary: denial ? `SELinux denied nginx name_connect to port ${denial.port ?? port}${type ? ` (${type})` : ''}` : `SELinux is enforcing and ${BOOLEAN} is off`,
        evidence,
      };
    }
    return { outcome: 'enforcing-allows', facts: learned, summary: `SELinux is enforcing, ${BOOLEAN} is ${learned['selinux.boolean']} and no denial of nginx is logged`, evidence };
  },
});
