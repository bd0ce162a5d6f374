/**
 * The shared context every tool and resource receives: configuration, logger,
 * clock, the ledger, and the services built from them, each once (the job
 * service, the approval path, the storyboard service). Those are loaded
 * on first use (dynamic import), so starting up and listing tools never pays
 * for undici or sharp, nor for the ledger's store.
 */
import type { Config } from './config.js';
import { KlingError, MISSING_TOKEN_MESSAGE, isKlingError } from './errors.js';
import { madeAsset } from './jobs/assets.js';
import { LazySqliteLedger } from './ledger/sqlite/lazy.js';
import type { LedgerStore } from './ledger/store.js';
import { AllowedFolders } from './preflight/allowed-folders.js';
import type { ImageFetcher } from './preflight/fetch-image.js';
import type { ImageSources } from './preflight/frames.js';
import { systemClock, type Clock } from './util/clock.js';
import type { Logger } from './util/log.js';
import type { Upstream } from './upstream.js';

/**
 * How long a call waits for the ledger to open. Opening is local file work that
 * takes milliseconds; a state folder on a hung file system (or one Node's
 * recursive mkdir loops on) must not hang every call with it. Measured on the
 * disk's clock (real time), not the calls' clock: a virtual clock racing through
 * a two-minute job must not declare a real open hung.
 */
export const LEDGER_OPEN_LIMIT_MS = 5_000;

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
    const token = this.config.token;
    if (!token) return Promise.reject(new KlingError('missing_token', MISSING_TOKEN_MESSAGE));
    this.upstreamUnits ??= import('./upstream.js').then(({ buildUpstream }) =>
      buildUpstream({ config: this.config, token, ledger: this.ledger, clock: this.clock, log: this.log, sources: () => this.imageSources() }),
    );
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
        const kf = await madeAsset(this.ledger, 'keyframe', id, id);
        return { path: kf.file.path, url: kf.url };
      },
    };
  }
}

function badConfigMessage(problems: string[]): string {
  return (
    `This server's settings are invalid: ${problems.join(' ')} Fix ${problems.length === 1 ? 'it' : 'them'} in the env block of this server ` +
    'in your MCP client config (where RUNCOMFY_API_TOKEN goes), then restart the server. Nothing was sent to RunComfy.'
  );
}
