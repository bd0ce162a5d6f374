/**
 * The services the tools work with, each built once from explicit dependencies: the RunComfy client, the job
 * service, the price book, the approval path, the live schemas and the storyboard service. context.ts loads this
 * module on the first call that needs RunComfy, as one piece: a start loads none of it.
 */
import type { Config } from './config.js';
import { Approval } from './costs/approval.js';
import { PriceBook } from './costs/price.js';
import { Downloader } from './jobs/downloads.js';
import { Jobs } from './jobs/jobs.js';
import { LiveSchemas } from './jobs/live-schemas.js';
import { SubmissionRecord } from './jobs/submission-record.js';
import type { LedgerStore } from './ledger/store.js';
import { DEFAULT_MODEL } from './models/registry.js';
import { Waiter } from './polling/wait.js';
import type { ImageSources } from './preflight/frames.js';
import { RunComfyClient, createAgent } from './runcomfy/client.js';
import { sharedModelPages } from './runcomfy/model-pages.js';
import { Boards } from './storyboards/boards.js';
import type { Clock } from './util/clock.js';
import type { Logger } from './util/log.js';

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

/** What the services are built from: the context's settings, ledger, clock and log, and where frames come from. */
export interface UpstreamDeps {
  config: Config;
  token: string;
  ledger: LedgerStore;
  clock: Clock;
  log: Logger;
  sources: () => Promise<ImageSources>;
}

export function buildUpstream({ config, token, ledger, clock, log, sources }: UpstreamDeps): Upstream {
  const agent = createAgent(config.httpTimeoutMs);
  const client = new RunComfyClient({
    baseUrl: config.baseUrl,
    accountBaseUrl: config.accountBaseUrl,
    token,
    clock,
    readsPerSecond: config.upstreamRps,
    dispatcher: agent,
    onRetry: (what, err, ms) => log.info(`retrying ${what} in ${Math.round(ms)} ms: ${(err as Error).message}`),
  });
  const waiter = new Waiter(client, clock, config.poll);
  const downloader = new Downloader(config.outputDir, agent, clock);
  const override = { model: DEFAULT_MODEL.id, perSecondUsd: config.pricePerSecondUsd };
  const modelInfo = sharedModelPages((model, signal) => client.modelInfo(model, signal), clock);
  const prices = new PriceBook(modelInfo, override, clock, log);
  const approval = new Approval({
    prices,
    ledger,
    clock,
    settings: { spendLimitUsd: config.spendLimitUsd, confirmAboveUsd: config.confirmAboveUsd },
    balance: (signal) => client.balance(signal),
    log,
  });
  const submissions = new SubmissionRecord(ledger, approval.limit, clock, log);
  const jobs = new Jobs({
    client,
    waiter,
    downloader,
    ledger,
    submissions,
    expectedRunMs: config.poll.expectedRunMs,
    clock,
    log,
  });
  const live = new LiveSchemas({ client: { modelInfo }, ledger, clock, log });
  const boards = new Boards({
    ledger,
    jobs,
    approval,
    live,
    sources,
    clock,
    log,
    settings: { outputDir: config.outputDir, maxWaitS: config.maxWaitS, allowPrivateUrls: config.allowPrivateUrls },
  });
  return { client, jobs, prices, approval, live, boards };
}
