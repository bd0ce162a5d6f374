/**
 * The shared context every tool and resource receives: configuration, logger,
 * clock and the units built from them. Network pieces are built on first use,
 * so listing tools never pays for them.
 */
import type { Config } from './config.js';
import { KlingError, MISSING_TOKEN_MESSAGE } from './errors.js';
import { Downloader } from './jobs/downloads.js';
import { Jobs } from './jobs/jobs.js';
import { Ledger } from './jobs/ledger.js';
import { Waiter } from './polling/wait.js';
import { ImageFetcher } from './preflight/fetch-image.js';
import { MAX_IMAGE_BYTES } from './model/kling-o1.js';
import { RunComfyClient, createAgent } from './runcomfy/client.js';
import { systemClock, type Clock } from './util/clock.js';
import type { Logger } from './util/log.js';

export class AppContext {
  readonly ledger: Ledger;
  private ready: Promise<void> | undefined;
  private built: { client: RunComfyClient; jobs: Jobs } | undefined;
  private fetcherInstance: ImageFetcher | undefined;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly clock: Clock = systemClock,
  ) {
    this.ledger = new Ledger(config.stateDir, log);
  }

  /** Opens the ledger once; every tool awaits it before touching jobs. */
  init(): Promise<void> {
    this.ready ??= this.ledger.open();
    return this.ready;
  }

  /** The upstream client and job service; a tool that needs them fails here, clearly, without a token. */
  requireUpstream(): { client: RunComfyClient; jobs: Jobs } {
    if (!this.config.token) throw new KlingError('missing_token', MISSING_TOKEN_MESSAGE);
    if (!this.built) {
      const agent = createAgent();
      const client = new RunComfyClient({
        baseUrl: this.config.baseUrl,
        token: this.config.token,
        clock: this.clock,
        readsPerSecond: this.config.upstreamRps,
        dispatcher: agent,
        onRetry: (what, err, ms) => this.log.info(`retrying ${what} in ${Math.round(ms)} ms: ${(err as Error).message}`),
      });
      const waiter = new Waiter(client, this.clock, this.config.poll);
      const downloader = new Downloader(this.config.outputDir, agent, this.clock);
      this.built = { client, jobs: new Jobs(client, waiter, downloader, this.ledger, this.config, this.log) };
    }
    return this.built;
  }

  get fetcher(): ImageFetcher {
    this.fetcherInstance ??= new ImageFetcher({ allowPrivate: this.config.allowPrivateUrls, maxBytes: MAX_IMAGE_BYTES, timeoutMs: 20_000 });
    return this.fetcherInstance;
  }
}
