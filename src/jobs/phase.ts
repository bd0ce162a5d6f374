/**
 * What a job's state means for us: RunComfy's state strings (documented or
 * not) mapped onto the five phases every tool, view, summary and the spend
 * speak. The HTTP adapter only carries the strings; their meaning lives here.
 */
/** The five phases, in the order a job goes through them (it ends in one of the last three). */
export const PHASES = ['queued', 'running', 'completed', 'cancelled', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

const TERMINAL_FAILURE = /fail|error|abort|reject|timeout|timed_out|expired|cancel|dead|invalid|stopped|terminated/;

/**
 * What a state string means for us. The documented states map directly; an
 * unknown state that looks terminal is a reported failure, any other unknown
 * state is treated as still running (the wait budget bounds it).
 */
export function phaseOf(state: string): Phase {
  const s = state.trim().toLowerCase();
  switch (s) {
    case 'in_queue':
    case 'queued':
    case 'pending':
    case 'submitted': // ours: sent (a request_id exists), not checked since; a new job waits in the queue
      return 'queued';
    case 'in_progress':
    case 'running':
    case 'processing':
    case 'starting':
      return 'running';
    case 'completed':
    case 'succeeded':
    case 'success':
      return 'completed';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
  }
  return TERMINAL_FAILURE.test(s) ? 'failed' : 'running';
}

export function isTerminal(phase: Phase): boolean {
  return phase === 'completed' || phase === 'cancelled' || phase === 'failed';
}

/** A phase in RunComfy's words (in_queue, in_progress, …): the one vocabulary of every answer, filter and view. */
export const RUNCOMFY_STATE: Record<Phase, string> = {
  queued: 'in_queue',
  running: 'in_progress',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
};
