import { shownCommand } from '../shell/quote.js';
import type { KnownFacts, SocketStat } from '../facts/keys.js';
import { ACCESS_STAT_FORMAT, canConnect, parseAccessStat, parentDirs, type AccessEntry } from '../system/access.js';
import { parseId } from '../system/id.js';
import { parseSs } from '../system/ss.js';
import { statErrors } from '../system/stat.js';
import { defineCheck } from './check.js';
import type { Evidence } from '../facts/evidence.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';
import { describeListener } from '../facts/candidates.js';

const SS = ['ss', '-Hltnxp'];

function socketStat(entry: AccessEntry | undefined, path: string): SocketStat {
  if (!entry) return { path, exists: false, type: null, owner: null, group: null, mode: null };
  return { path, exists: true, type: entry.type, owner: entry.owner ?? String(entry.uid), group: entry.group ?? String(entry.gid), mode: entry.mode };
}

function statLine(e: AccessEntry): string {
  return `${e.type} ${e.mode} ${e.owner ?? e.uid}:${e.group ?? e.gid} ${e.path}`;
}

/** Does the socket nginx dials exist, does anything listen on it, and may nginx's workers open it? */
export const socketState = defineCheck({
  id: 'socket.state',
  guide: 'socket-permissions',
  outcomes: ['missing', 'no-permission', 'not-listening', 'ok', 'not-a-socket'],
  needs: ['upstream.socket', 'nginx.workerUser'],
  early: 'first-round',
  learns: ['socket.stat', 'listeners'],
  learnsOn: { 'no-permission': ['socket.blockedBy', 'socket.blockedPath', 'nginx.workerGroups'] },

  plan(facts, done) {
    if (done.length) return [];
    const socket = need(facts, 'upstream.socket');
    return [{ argv: ['stat', '-L', '-c', ACCESS_STAT_FORMAT, '--', ...parentDirs(socket), socket] }, { argv: ['id', '--', need(facts, 'nginx.workerUser')] }, { argv: SS }];
  },

  interpret(facts, results) {
    const socket = need(facts, 'upstream.socket');
    const user = need(facts, 'nginx.workerUser');
    const statRun = resultOf(results, 'stat');
    const entries = parseAccessStat(statRun?.stdout ?? '');
    const target = entries.find((e) => e.path === socket);
    const listeners = parseSs(resultOf(results, ...SS)?.stdout ?? '');
    const listening = listeners.filter((l) => l.netid === 'unix' && l.path === socket);
    const stat = socketStat(target, socket);
    const base: KnownFacts = { 'socket.stat': stat, listeners };
    const evidence: Evidence[] = [{ ...(statRun ? { command: shownCommand(statRun.argv) } : { probe: `stat -L ${socket} and each directory above it` }), lines: entries.map(statLine) }];

    if (!target) {
      const why = statErrors(statRun?.stderr ?? '').find((e) => e.path === socket)?.error ?? 'No such file or directory';
      evidence[0]?.lines.push(`${socket}: ${why}`);
      return { outcome: 'missing', facts: base, summary: `${socket} does not exist`, evidence };
    }
    if (target.type !== 'socket') {
      return { outcome: 'not-a-socket', facts: base, summary: `${socket} is a ${target.type}, not a socket`, evidence };
    }
    const id = parseId(resultOf(results, 'id')?.stdout ?? '');
    if (id) {
      evidence.push({ command: shownCommand(['id', '--', user]), lines: [`${user}: uid ${id.uid}, groups ${id.groups.join(', ')}`] });
      const verdict = canConnect({ uid: id.uid, gids: id.gids, name: id.name }, entries);
      if (!verdict.ok) {
        return {
          outcome: 'no-permission',
          facts: { ...base, 'socket.blockedBy': verdict.reason ?? 'permission denied', 'socket.blockedPath': verdict.blockedBy ?? socket, 'nginx.workerGroups': id.groups },
          summary: `${user} may not connect: ${verdict.reason}`,
          evidence,
        };
      }
    }
    evidence.push({ command: shownCommand(SS), lines: listening.length ? listening.map(describeListener) : [`nothing listens on ${socket}`] });
    if (!listening.length) {
      return { outcome: 'not-listening', facts: base, summary: `${socket} exists but no process listens on it (left over from a backend that stopped)`, evidence };
    }
    return { outcome: 'ok', facts: base, summary: `${socket} exists, is listened on, and ${user} may connect`, evidence };
  },
});
