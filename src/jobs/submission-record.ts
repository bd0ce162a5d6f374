/**
 * One submission's whole record, in order: reserved (checked against the
 * spend limit, a storyboard shot's claim checked, and recorded as pending, all
 * in one ledger transaction), then exactly one outcome: submitted (a
 * request_id exists), unknown (no answer came: the job may exist and be
 * billed), or failed (a definite refusal: nothing stays reserved). A
 * storyboard's plan, which reserves all its shots, is recorded the same way.
 */
import { randomBytes } from 'node:crypto';
import { KlingError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { PROCESS_INSTANCE } from '../util/process-instance.js';
import type { AssetRecords, BoardSlice, EventOf, LedgerEvent, PendingSubmission } from '../ledger/records.js';
import type { LedgerSpend, LedgerStore } from '../ledger/store.js';

/**
 * The spend limit's check (costs/guard.ts): throws to refuse what is being
 * added, a submission (which may take a render its storyboard reserved) or
 * new work (each item one paid job at its estimate); `read` gives the ledger's
 * spend sources for a window.
 */
export type SpendCheck = (
  read: (since: number) => Promise<LedgerSpend>,
  adding: { pending?: PendingSubmission; work?: { estimate_usd?: number }[] },
  what: string,
) => Promise<void>;

/** What is reserved for one submission. */
export type Reservation = Omit<PendingSubmission, 'id' | 'at' | 'pid' | 'instance'>;
/**
 * A reservation made only if `claim` holds on the board as the transaction reads it (no other call took the shot
 * meanwhile), or, for an asset, if `claimAsset` holds on what the ledger has of its key (no other call made it meanwhile).
 */
export type Claimed = Reservation & { claim?: (slice: BoardSlice) => boolean; claimAsset?: (found: AssetRecords) => boolean };
export type BoardPlan = Omit<EventOf<'storyboard'>, 't' | 'at'>;
/** A storyboard's new cut as decided on the board's slice read in the transaction that records it: its renders are what it reserves. */
export type CutPlan = Omit<EventOf<'cut'>, 't' | 'at' | 'id'>;
export type DecideCut = (slice: BoardSlice) => { renders: { estimate_usd?: number }[]; cut: CutPlan };
/** A reservation recorded as pending: what its outcome is recorded against. */
export type Reserved = Reservation & { id: string };

export class SubmissionRecord {
  constructor(
    private readonly ledger: LedgerStore,
    /** The spend limit's check (costs/guard.ts), none without a limit. */
    private readonly checkSpend: SpendCheck | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Checks the limit for a whole storyboard and records its plan, which reserves every shot until it is submitted. */
  async reserveBoard(plan: BoardPlan, what: string): Promise<void> {
    const at = this.clock.now();
    const { id, ...fields } = plan;
    await this.ledger.transaction(async (tx) => {
      // Cut 1 renders every shot: each is new work.
      await this.checkSpend?.((since) => tx.spendSources(since), { work: fields.shots }, what);
      await tx.write({ t: 'storyboard', id, at, ...fields });
    });
  }

  /**
   * Decides a storyboard's new cut on its slice as this transaction reads it (so two revisions of one board are
   * numbered and decided one after the other, in any process), checks the limit for the renders it adds, and records it.
   */
  reserveCut(boardId: string, what: string, decide: DecideCut): Promise<number> {
    const at = this.clock.now();
    return this.ledger.transaction(async (tx) => {
      const slice = await tx.slice(boardId);
      if (!slice) throw new KlingError('storyboard_not_found', `No storyboard ${boardId} is recorded in this server's ledger; nothing was submitted.`);
      const decided = decide(slice);
      await this.checkSpend?.((since) => tx.spendSources(since), { work: decided.renders }, what);
      await tx.write({ t: 'cut', id: boardId, at, ...decided.cut });
      return decided.cut.cut;
    });
  }

  /**
   * Checks the limit, then records the submission as pending. With a `claim`,
   * it is reserved only if the claim holds in the same transaction; undefined otherwise.
   */
  reserve(item: Claimed, what: string): Promise<Reserved | undefined> {
    const at = this.clock.now();
    const { claim, claimAsset, ...work } = item;
    return this.ledger.transaction(async (tx) => {
      if (claim && work.board) {
        const slice = await tx.slice(work.board.id);
        if (!slice || !claim(slice)) return undefined;
      }
      const asset = work.input.asset;
      if (claimAsset && asset && !claimAsset(await tx.assets({ keys: [asset.key] }))) return undefined;
      const pending: PendingSubmission = { ...work, id: newPendingId(), at, pid: process.pid, instance: PROCESS_INSTANCE };
      await this.checkSpend?.((since) => tx.spendSources(since), { pending }, what);
      const { id, ...fields } = pending;
      await tx.write({ t: 'submitting', id, ...fields });
      return { ...work, id };
    });
  }

  /** RunComfy accepted it: recorded under its request_id the moment one exists. */
  submitted(r: Reserved, requestId: string, at: number): Promise<void> {
    return this.note('submitted', requestId, this.paid(r), at);
  }

  /** No answer came: the job may exist upstream (and be billed), so it is kept under a local id, never forgotten. */
  unknown(r: Reserved, error: string): Promise<void> {
    const now = this.clock.now();
    return this.note('submit_unknown', `unknown-${now}-${randomBytes(3).toString('hex')}`, { ...this.paid(r), error }, now);
  }

  /** A definite refusal: nothing was created, so nothing stays reserved. */
  failed(r: Reserved, error: string): Promise<void> {
    return this.note('submit_failed', r.id, { error }, this.clock.now());
  }

  private paid(r: Reserved) {
    return { model: r.model, kind: r.kind, price_unit: r.price_unit, input: r.input, estimate_usd: r.estimate_usd, intent: r.id, board: r.board };
  }

  private note<T extends LedgerEvent['t']>(t: T, id: string, fields: Omit<EventOf<T>, 't' | 'id' | 'at'>, at: number): Promise<void> {
    return noteEvent(this.ledger, this.log, t, id, fields, at);
  }
}

/**
 * Records an event. A ledger that cannot be written (disk full, folder gone)
 * must not cost the user a job that was paid for: the failure is logged with
 * the request_id, and the call goes on to return that id.
 */
export async function noteEvent<T extends LedgerEvent['t']>(
  ledger: LedgerStore,
  log: Logger,
  t: T,
  id: string,
  fields: Omit<EventOf<T>, 't' | 'id' | 'at'>,
  at: number,
): Promise<void> {
  try {
    await ledger.record(t, id, fields, at);
  } catch (err) {
    log.error(`could not record "${t}" for request ${id} in the ledger: ${(err as Error).message}`);
  }
}

function newPendingId(): string {
  return `pending-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
