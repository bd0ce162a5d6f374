/**
 * The shared context every tool and resource receives: configuration, logger,
 * clock, the ledger, and the services built from them, each once (the job
 * service, the approval path, the storyboard service). Those are loaded
 * on first use (dynamic import), so starting up and listing tools never pays
 * for undici or sharp, nor for the ledger's store.
 */
import type { Config } from './config.js';
import { KlingError, MISSING_TOKEN_MESSAGE, isKlingError } from './errors.js';
import type { Approval } from './costs/approval.js';
import type { Jobs } from './jobs/jobs.js';
import type { LiveSchemas } from './jobs/live-schemas.js';
import type { PriceBook } from './costs/price.js';
import { LazySqliteLedger } from './ledger/sqlite/lazy.js';
import type { LedgerStore } from './ledger/store.js';
import { DEFAULT_MODEL } from './models/registry.js';
import { AllowedFolders } from './preflight/allowed-folders.js';
import type { ImageFetcher } from './preflight/fetch-image.js';
import type { ImageSources } from './preflight/frames.js';
import type { RunComfyClient } from './runcomfy/client.js';
import type { Boards } from './storyboards/boards.js';
import { systemClock, type Clock } from './util/clock.js';
import type { Logger } from './util/log.js';

/**
 * How long a call waits for the ledger to open. Opening is local file work that
 * takes milliseconds; a state folder on a hung file system (or one Node's
 * recursive mkdir loops on) must not hang every call with it. Measured on the
 * disk's clock (real time), not the calls' clock: a virtual clock racing through
 * a two-minute job must not declare a real open hung.
 */
export const LEDGER_OPEN_LIMIT_MS = 5_000;

export interface Upstream {
  client: RunComfyClient;
  jobs: Jobs;
  prices: PriceBook;
  /** The one approval path for paid work (costs/approval.ts). */
  approval: Approval;
  /** RunComfy's live input schemas, read once a day per model and checked before submitting (jobs/live-schemas.ts). */
  live: LiveSchemas;
  boards: Boards;
}

export class AppContext {
  readonly ledger: LedgerStore;
  /** Where local images may be read from; the client's roots are added once it declares them (roots.ts). */
  readonly imageFolders: AllowedFolders;
  /** The ledger's open in flight (or done); cleared when it fails, so the next call starts another. */
  private opening: Promise<void> | undefined;
  private opened = false;
  private upstreamUnits: Promise<Upstream> | undefined;
  private fetcher: Promise<ImageFetcher> | undefined;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly clock: Clock = systemClock,
    /** The clock of the ledger open's limit; a test drives a hung open with its own. */
    private readonly diskClock: Clock = systemClock,
  ) {
    // The one place a store is chosen: every other unit speaks LedgerStore. Its code loads with its open, not at start.
    this.ledger = new LazySqliteLedger(config.stateDir, log);
    this.imageFolders = new AllowedFolders(config.imageDirs);
  }

  /**
   * Opens the ledger once; every tool and resource awaits it before touching
   * jobs. Without a ledger nothing is submitted (a paid job could not be
   * remembered); a later call tries again, so fixing the folder needs no
   * restart. Bad settings fail every call here, with what to fix.
   */
  async init(): Promise<void> {
    if (this.config.problems.length > 0) throw new KlingError('bad_config', badConfigMessage(this.config.problems));
    if (this.opened) return;
    // A call that gave up waiting leaves its open running, and the next call waits for that same open:
    // starting another beside a hung one would only pile up stuck file-system work.
    this.opening ??= this.ledger.open().then(
      () => {
        this.opened = true;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    let stopLimit = () => {};
    const limit = new Promise<never>((_, reject) => {
      stopLimit = this.diskClock.after(LEDGER_OPEN_LIMIT_MS, () =>
        reject(new Error(`it did not answer within ${LEDGER_OPEN_LIMIT_MS / 1000} s; the folder's file system may be hung`)),
      );
    });
    try {
      await Promise.race([this.opening, limit]);
    } catch (err) {
      // The ledger's own refusals (a damaged or newer file, a lock held too long) already say what to do.
      if (isKlingError(err)) throw err;
      throw new KlingError(
        'state_unavailable',
        `The job ledger in ${this.config.stateDir} cannot be opened (${(err as Error).message}). Set KLING_MCP_STATE_DIR to a folder this user can write, or fix its permissions; the next call tries again. Nothing was submitted.`,
      );
    } finally {
      stopLimit();
    }
  }

  /** The upstream client and job service; a tool that needs them fails here, clearly, without a token. */
  upstream(): Promise<Upstream> {
    if (!this.config.token) return Promise.reject(new KlingError('missing_token', MISSING_TOKEN_MESSAGE));
    this.upstreamUnits ??= this.buildUpstream(this.config.token);
    return this.upstreamUnits;
  }

  imageFetcher(): Promise<ImageFetcher> {
    this.fetcher ??= import('./preflight/fetch-image.js').then(
      ({ ImageFetcher }) => new ImageFetcher({ allowPrivate: this.config.allowPrivateUrls, timeoutMs: 20_000 }),
    );
    return this.fetcher;
  }

  /** Everything pre-flight needs to load a frame: the URL fetcher, and the allowed folders unless local images are off. */
  async imageSources(): Promise<ImageSources> {
    return {
      fetcher: await this.imageFetcher(),
      ...(this.config.localImages && { local: this.imageFolders }),
      keyframe: async (id) => {
        const { madeAsset } = await import('./jobs/assets.js');
        const kf = await madeAsset(this.ledger, 'keyframe', id, id);
        return { path: kf.file.path, url: kf.url };
      },
    };
  }

  private async buildUpstream(token: string): Promise<Upstream> {
    const [
      { RunComfyClient, createAgent },
      { Downloader },
      { Jobs },
      { LiveSchemas },
      { Waiter },
      { PriceBook },
      { Approval },
      { SubmissionRecord },
      { Boards },
    ] = await Promise.all([
      import('./runcomfy/client.js'),
      import('./jobs/downloads.js'),
      import('./jobs/jobs.js'),
      import('./jobs/live-schemas.js'),
      import('./polling/wait.js'),
      import('./costs/price.js'),
      import('./costs/approval.js'),
      import('./jobs/submission-record.js'),
      import('./storyboards/boards.js'),
    ]);
    const agent = createAgent(this.config.httpTimeoutMs);
    const client = new RunComfyClient({
      baseUrl: this.config.baseUrl,
      accountBaseUrl: this.config.accountBaseUrl,
      token,
      clock: this.clock,
      readsPerSecond: this.config.upstreamRps,
      dispatcher: agent,
      onRetry: (what, err, ms) => this.log.info(`retrying ${what} in ${Math.round(ms)} ms: ${(err as Error).message}`),
    });
    const waiter = new Waiter(client, this.clock, this.config.poll);
    const downloader = new Downloader(this.config.outputDir, agent, this.clock);
    const override = { model: DEFAULT_MODEL.id, perSecondUsd: this.config.pricePerSecondUsd };
    const prices = new PriceBook((model, signal) => client.modelInfo(model, signal), override, this.clock, this.log);
    const approval = new Approval({
      prices,
      ledger: this.ledger,
      clock: this.clock,
      settings: { spendLimitUsd: this.config.spendLimitUsd, confirmAboveUsd: this.config.confirmAboveUsd },
      balance: (signal) => client.balance(signal),
      log: this.log,
    });
    const submissions = new SubmissionRecord(this.ledger, approval.limit, this.clock, this.log);
    const jobs = new Jobs({
      client,
      waiter,
      downloader,
      ledger: this.ledger,
      submissions,
      expectedRunMs: this.config.poll.expectedRunMs,
      clock: this.clock,
      log: this.log,
    });
    const live = new LiveSchemas({ client, ledger: this.ledger, clock: this.clock, log: this.log });
    const boards = new Boards({
      ledger: this.ledger,
      jobs,
      approval,
      live,
      sources: () => this.imageSources(),
      clock: this.clock,
      log: this.log,
      settings: { outputDir: this.config.outputDir, maxWaitS: this.config.maxWaitS, allowPrivateUrls: this.config.allowPrivateUrls },
    });
    return { client, jobs, prices, approval, live, boards };
  }
}

function badConfigMessage(problems: string[]): string {
  return (
    `This server's settings are invalid: ${problems.join(' ')} Fix ${problems.length === 1 ? 'it' : 'them'} in the env block of this server ` +
    'in your MCP client config (where RUNCOMFY_API_TOKEN goes), then restart the server. Nothing was sent to RunComfy.'
  );
}
