/**
 * The spend limit (KLING_MCP_SPEND_LIMIT_USD) and the record that makes it
 * hold: the check and the ledger entry that reserves the money happen under one
 * lock file, so two processes sharing the ledger cannot both pass. Without a
 * limit there is nothing to check and no lock is taken.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KlingError } from '../errors.js';
import { LOCK_FILE, type Ledger } from '../jobs/ledger.js';
import type { BoardRecord, EventOf, PendingSubmission, Records } from '../jobs/records.js';
import type { Clock } from '../util/clock.js';
import { withFileLock } from '../util/file-lock.js';
import { PROCESS_INSTANCE } from '../util/process-instance.js';
import { formatUsd } from '../util/format.js';
import { SPEND_WINDOW_MS, spendSince } from './spend.js';

export type Reservation = Omit<PendingSubmission, 'id' | 'at' | 'pid' | 'instance'>;
/** A reservation that is made only if `claim` holds on the ledger as read under the lock. */
export type Claimed = Reservation & { claim?: (records: Records) => boolean };
interface Additions {
  pending?: PendingSubmission[];
  boards?: BoardRecord[];
}
export type BoardPlan = Omit<EventOf<'storyboard'>, 't' | 'at'>;

export class SpendGuard {
  constructor(
    private readonly ledger: Ledger,
    private readonly limitUsd: number | undefined,
    private readonly clock: Clock,
  ) {}

  /**
   * The limit's verdict on new work, without the lock and without recording
   * anything: so nobody is asked to confirm a spend the limit would then refuse.
   */
  async precheck(shots: BoardRecord['shots'], what: string): Promise<void> {
    if (this.limitUsd === undefined) return;
    await this.ledger.refresh();
    const at = this.clock.now();
    this.check(this.limitUsd, what, this.ledger.state(), { boards: [work(shots, at)] });
  }

  /**
   * Checks the limit, then records the submission as pending; returns its id.
   * With a `claim`, it is reserved only if the claim still holds under the lock
   * (a storyboard shot no other call has taken meanwhile); undefined otherwise.
   */
  async reserveJob(item: Claimed, what: string): Promise<string | undefined> {
    const at = this.clock.now();
    const { claim, ...work } = item;
    let pending: PendingSubmission | undefined;
    await this.guarded(
      what,
      (records) => {
        pending = !claim || claim(records) ? { ...work, id: newPendingId(), at, pid: process.pid, instance: PROCESS_INSTANCE } : undefined;
        return { pending: pending ? [pending] : [] };
      },
      async () => {
        if (!pending) return;
        const { id, input, estimate_usd, board, pid, instance } = pending;
        await this.ledger.record('submitting', id, { input, estimate_usd, board, pid, instance }, at);
      },
      claim !== undefined,
    );
    return pending?.id;
  }

  /** Checks the limit for a whole storyboard, then records its plan, which reserves every shot until it is submitted. */
  async reserveBoard(plan: BoardPlan, what: string): Promise<void> {
    const at = this.clock.now();
    const { id, ...fields } = plan;
    const board: BoardRecord = { storyboard_id: id, created_at: at, cut: 1, cuts: [], ...fields, updated_at: at };
    await this.guarded(
      what,
      () => ({ boards: [board] }),
      () => this.ledger.record('storyboard', id, fields, at),
    );
  }

  /**
   * Checks the limit for the renders a storyboard's new cut adds, then records
   * the cut. `decide` runs under the lock on the ledger as read there, so two
   * revisions of one board are numbered and decided one after the other.
   */
  async reserveCut(what: string, decide: (records: Records) => { renders: BoardRecord['shots']; record: () => Promise<void> }): Promise<void> {
    let record: () => Promise<void> = () => Promise.resolve();
    await this.guarded(
      what,
      (records) => {
        const decided = decide(records);
        record = decided.record;
        return { boards: [work(decided.renders, this.clock.now())] };
      },
      () => record(),
      true,
    );
  }

  /**
   * Runs `write` if what `plan` adds keeps the spend under the limit. The
   * check and the write share one lock, taken when there is a limit or a claim to check.
   */
  private async guarded(what: string, plan: (records: Records) => Additions, write: () => Promise<void>, needsLock = false): Promise<void> {
    const limit = this.limitUsd;
    if (limit === undefined && !needsLock) {
      plan(this.ledger.state());
      return write();
    }
    await withFileLock(path.join(this.ledger.dir, LOCK_FILE), async () => {
      await this.ledger.refresh();
      const records = this.ledger.state();
      const extra = plan(records);
      if (limit !== undefined) this.check(limit, what, records, extra);
      await write();
    });
  }

  private check(limit: number, what: string, records: Records, extra: Additions): void {
    const estimates = [...(extra.pending ?? []).map((p) => p.estimate_usd), ...(extra.boards ?? []).flatMap((b) => b.shots.map((s) => s.estimate_usd))];
    if (estimates.some((u) => u === undefined)) {
      throw new KlingError(
        'price_unknown',
        `Nothing was submitted: KLING_MCP_SPEND_LIMIT_USD is set, but the price of ${what} is not known (RunComfy's model endpoint gave no price this server can read, or could not be reached), so the spend cannot be checked. Set KLING_MCP_PRICE_PER_SECOND_USD to RunComfy's price per second of video, or try again in a few minutes.`,
      );
    }
    const since = this.clock.now() - SPEND_WINDOW_MS;
    const before = spendSince(since, { jobs: records.jobs.values(), pending: records.pending.values(), boards: records.boards.values() });
    const after = spendSince(since, {
      jobs: records.jobs.values(),
      pending: [...records.pending.values(), ...(extra.pending ?? [])],
      boards: [...records.boards.values(), ...(extra.boards ?? [])],
    });
    // Work already reserved (a storyboard's shots) adds nothing when it is submitted, so it is never refused here.
    if (after.usd > limit + 1e-9 && after.usd > before.usd + 1e-9) {
      throw new KlingError(
        'spend_limit',
        `Nothing was submitted: ${what} would cost about ${formatUsd(after.usd - before.usd)}, and the expected spend over the last 24 h is already ${formatUsd(before.usd)} ` +
          `(${before.jobs} job(s)), which would make ${formatUsd(after.usd)}, above KLING_MCP_SPEND_LIMIT_USD=${formatUsd(limit)}. ` +
          'Raise KLING_MCP_SPEND_LIMIT_USD in the server config, or wait until older jobs leave the 24 h window (list_jobs shows the spend).',
      );
    }
  }
}

/** New work to check against the limit, shaped as a board whose shots are all still to submit. */
function work(shots: BoardRecord['shots'], at: number): BoardRecord {
  return { storyboard_id: 'new work', created_at: at, cut: 1, cuts: [], shots, updated_at: at };
}

function newPendingId(): string {
  return `pending-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
