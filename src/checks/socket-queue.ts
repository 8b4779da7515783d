import { shownCommand } from '../shell/quote.js';
import { describeQueue, parseListenQueues, queueFor, SS_QUEUES } from '../system/listen-queue.js';
import { defineCheck } from './check.js';
import { need } from '../facts/need.js';
import { resultOf } from '../facts/results.js';

/**
 * The accept queue of the unix socket nginx dials. connect() to a unix socket whose queue is full fails at
 * once with EAGAIN (11: Resource temporarily unavailable): the backend is not taking connections as fast
 * as they come.
 */
export const socketQueue = defineCheck({
  id: 'socket.queue',
  guide: 'backend-running',
  outcomes: ['full', 'room', 'not-listening'],
  needs: ['upstream.socket'],
  learns: [],
  learnsOn: { full: ['reach.queue'], room: ['reach.queue'] },

  plan: (_facts, done) => (done.length ? [] : [{ argv: SS_QUEUES }]),

  interpret(facts, results) {
    const socket = need(facts, 'upstream.socket');
    const run = resultOf(results, ...SS_QUEUES);
    const queue = queueFor(parseListenQueues(run?.stdout ?? ''), { socket });
    const command = shownCommand(SS_QUEUES);
    if (!queue) {
      return { outcome: 'not-listening', facts: {}, summary: `nothing listens on ${socket} now`, evidence: [{ command, lines: [`no listening socket at ${socket}`] }] };
    }
    const line = describeQueue(queue);
    if (queue.full) {
      return {
        outcome: 'full',
        facts: { 'reach.queue': line },
        summary: `the accept queue of ${socket} is full: ${queue.queued} waiting, room for ${queue.backlog}`,
        evidence: [{ command, lines: [line] }],
      };
    }
    return {
      outcome: 'room',
      facts: { 'reach.queue': line },
      summary: `the accept queue of ${socket} has room now (${queue.queued} of ${queue.backlog}): the overload came in a burst`,
      evidence: [{ command, lines: [line], note: 'Recv-Q is how many connections wait, Send-Q how many may wait' }],
    };
  },
});
