/**
 * A local stand-in of the RunComfy Model API for every registered model (each
 * model says what it renders, src/models/), faithful to the documented
 * contract: Bearer auth, input validation (it downloads and checks every image
 * against the model's rules, as RunComfy does), a queue → run → completed state machine on a
 * clock, cancel only while queued (HTTP 202 with an outcome), results with
 * their cost, the model's price, and RunComfy's error codes, each on an HTTP
 * status tests choose (200 included). Tests steer it through fault hooks and
 * read its counters.
 *
 * Where RunComfy's docs are silent it assumes: a failed job's `error` is
 * `{error_code?, message}` (or a plain string, per job); a failed job costs
 * nothing unless its plan says otherwise; cancelling a cancelled job answers
 * `cancelled` again; a job's price is held from its submission against
 * `balanceUsd` and released when it is cancelled.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { request } from 'undici';
import { z } from 'zod';
import { imageRuleViolations } from '../models/image-rules.js';
import type { AnyModel, ImageSpec, ModelInputBase } from '../models/model.js';
import { modelById } from '../models/registry.js';
import { readSchema, type PublishedSchema } from '../models/schema.js';
import { acceptedFormat } from '../preflight/inspect-image.js';
import { systemClock, type Clock } from '../util/clock.js';
import { mp3File } from '../media/mp3.js';
import { fadeClip } from './clip.js';
import { simulatedImage } from './image.js';

export type Route = 'submit' | 'model' | 'status' | 'result' | 'cancel' | 'output' | 'file' | 'balance';

/** The account's balance when `balanceUsd` is not set: enough that no test runs out by accident. */
export const SIM_DEFAULT_BALANCE_USD = 1000;

/** RunComfy's documented error codes. */
export const RUNCOMFY_CODES = {
  invalidModel: 400001,
  noBalance: 400002,
  badToken: 400004,
  otherUser: 403001,
  notFound: 404001,
} as const;
export type RunComfyCode = (typeof RUNCOMFY_CODES)[keyof typeof RUNCOMFY_CODES];

/** The HTTP status each code comes with unless `errorStatus` says otherwise (RunComfy's is not reliable). */
const DEFAULT_ERROR_STATUS: Record<RunComfyCode, number> = { 400001: 400, 400002: 402, 400004: 401, 403001: 403, 404001: 404 };

/** RunComfy's two error bodies: `{error_code, error_message}` (documented) and `{code, error}` (also seen). */
export type ErrorShape = 'error_code' | 'code';

export interface ErrorAnswer {
  /** The HTTP status to send it with (default: the simulator's for that code). */
  status?: number;
  shape?: ErrorShape;
  /** Send the code as a JSON number (default) or a string. */
  codeAs?: 'number' | 'string';
  message?: string;
  detail?: string;
}

/** A RunComfy error body as JSON text. */
export function errorBody(code: number | string, message: string, answer: Omit<ErrorAnswer, 'status' | 'message'> = {}): string {
  const value = answer.codeAs === 'string' ? String(code) : typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : code;
  const body =
    answer.shape === 'code' ? { code: value, error: message } : { error_code: value, error_message: message, ...(answer.detail && { detail: answer.detail }) };
  return JSON.stringify(body);
}

/** A model's price as the model endpoint publishes it; `down` makes that endpoint answer 503. */
export interface SimPrice {
  base_price_usd?: number | string;
  price_unit?: string;
  pricing_note?: string;
  down?: boolean;
}

/** A failed job's `error` field: an object by default, or a plain string. */
export type SimJobError = string | { error_code?: string | number; message: string };

export interface Fault {
  route: Route;
  /** How many matching requests it hits (default 1). */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (slow headers), in real time: what the server's HTTP timeouts see. */
  delayMs?: number;
  /**
   * Hold the request this long on the simulator's clock before answering. On a VirtualClock shared with the
   * server that takes no real time, and the server's own timers due meanwhile fire (a read outlasting a wait).
   */
  holdMs?: number;
  /** Answer only once this settles: the test decides when (e.g. after its client gave up). */
  release?: Promise<unknown>;
  /** Destroy the socket instead of answering; 'mid-body' sends half a body first. */
  reset?: 'before-headers' | 'mid-body';
  /** Let the request through (a submission is still accepted) and then apply the fault to the answer. */
  afterProcessing?: boolean;
}

/**
 * A change to a model's live input schema (what GET /v1/models/{id} publishes), as RunComfy might make one: the
 * fault that schema-drift checks must notice. Submissions are still judged by the model's own input.
 */
export type SchemaChange =
  /** A new required field (a string), or an existing one made required. */
  | { require: string }
  | { drop: string }
  /** The field's enum replaced: narrowed, or widened. */
  | { field: string; enum: readonly (string | number)[] }
  /** The field's `validations` replaced (RunComfy's image rules). */
  | { field: string; validations: readonly unknown[] }
  /** Keywords set on a field (a new one if it has none): a range, a type, a default. */
  | { field: string; set: Readonly<Record<string, unknown>> };

/** The simulator's --drift: RunComfy now requires a field no version of this server sends. */
export const DRIFT_FIELD = 'seed';

export interface JobPlan {
  queueMs: number;
  runMs: number;
  /**
   * End in this state instead of completed (default "failed"), with this `error`
   * (default an object with a message), costing `costUsd` (default 0).
   */
  failWith?: { status?: string; error?: SimJobError; costUsd?: number };
  /** Serve a synthetic MP4-typed result of this many bytes instead of the model's clip (for size benchmarks). */
  outputBytes?: number;
  /** Answer this `output` once completed instead of the model's (e.g. one without what the model makes). */
  output?: Record<string, unknown>;
}

export interface SimulatorOptions {
  port?: number;
  host?: string;
  /** The accepted API token (default SIM_TOKEN). */
  token?: string;
  /** More accepted tokens, each its own RunComfy user: a job is visible only with the token that submitted it. */
  tokens?: string[];
  clock?: Clock;
  /** What every model endpoint publishes, and what jobs cost (default: each model's own, `simulator.price`). */
  price?: SimPrice;
  /**
   * The account's balance before any job: a submission whose price would take the spend beyond it gets 400002, and
   * GET /prod/v2/balance (RunComfy's core API, served here too) answers it less the spend. It may be 0 or negative.
   * Unset: SIM_DEFAULT_BALANCE_USD, and submissions are never refused for it.
   */
  balanceUsd?: number;
  /** A finished job (and its output) is forgotten this long after it ended: then 404001. */
  expireAfterMs?: number;
  /** The HTTP status each error code is sent with, e.g. `{ 400004: 200 }`. */
  errorStatus?: Partial<Record<RunComfyCode, number>>;
  /** Which error body to send (default the documented `error_code` one). */
  errorShape?: ErrorShape;
  /** Queue and run time per clip duration, for every model (default: each model's own, `simulator.timing`). */
  timing?: Partial<Record<number, { queueMs: number; runMs: number }>>;
  /** Width of the clip (smaller is faster). */
  clipWidth?: number;
  /** Changes to models' live input schemas, by model id (also `changeSchema`). */
  schemaChanges?: Readonly<Record<string, readonly SchemaChange[]>>;
  /**
   * Also answer a submission with the job's state (`status: "in_queue"`), which RunComfy's documented submit answer
   * does not carry: for a test that a client records a state it is given there.
   */
  submitAnswersState?: boolean;
  log?: (line: string) => void;
}

/**
 * A model's input as RunComfy reads a body: its live schema (the published one, with any change a test made) with
 * RunComfy's own defaults (Kling 3.0's 10 s with sound, where this server's arguments default to 5 s and silent), so a
 * field the server forgot to send costs what it would, and one RunComfy now requires is refused as it would be.
 */
function upstreamInput(model: AnyModel, schema: PublishedSchema): z.ZodType<ModelInputBase> {
  const media = (name: string) => model.media[name] && { kind: model.media[name].kind, modelName: model.media[name].modelName, types: model.media[name].types };
  return z.object(readSchema(schema, {}, media).shape) as unknown as z.ZodType<ModelInputBase>;
}

interface SimJob {
  id: string;
  /** The token that submitted it. */
  owner: string;
  model: AnyModel;
  /** The body as sent: the fields by the names the server used. */
  sent: Readonly<Record<string, unknown>>;
  /** The input as RunComfy reads it: the body, with the published schema's defaults for what it leaves out. */
  input: ModelInputBase;
  submittedAt: number;
  plan: JobPlan;
  cancelledAt?: number;
  /** What it made, once asked for: its bytes and their media type. */
  made?: Promise<{ body: Uint8Array; type: string }>;
}

export interface RequestLogEntry {
  route: Route;
  method: string;
  path: string;
  at: number;
  status: number;
  /** Who asked: tells the server's pre-flight fetches from the simulator's own. */
  userAgent?: string;
}

export const SIM_TOKEN = 'sim-token-0123456789';

export class RunComfySimulator {
  readonly jobs = new Map<string, SimJob>();
  readonly requests: RequestLogEntry[] = [];
  /** Submissions that created a job (each one would be billed). */
  submissions = 0;
  private readonly faults: Fault[] = [];
  private readonly plans: Partial<JobPlan>[] = [];
  private readonly schemaChanges = new Map<string, SchemaChange[]>();
  private readonly files = new Map<string, { body: Buffer; type: string; chunked: boolean } | { redirect: string }>();
  private server: http.Server | undefined;
  private readonly clock: Clock;
  private readonly tokens: Set<string>;
  private baseUrl = '';
  private port: number | undefined;
  /** Cancels the return from an outage(). */
  private comeback: (() => void) | undefined;

  constructor(private readonly opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.tokens = new Set([opts.token ?? SIM_TOKEN, ...(opts.tokens ?? [])]);
    for (const [model, changes] of Object.entries(opts.schemaChanges ?? {})) this.changeSchema(model, ...changes);
  }

  get url(): string {
    return this.baseUrl;
  }

  /**
   * Stops listening now (connections refused) and listens again, jobs intact, once the simulator's clock has moved
   * downMs on. On a VirtualClock shared with the server, the server's own retry sleeps bring it back.
   */
  async outage(downMs: number): Promise<void> {
    await this.stop();
    this.comeback = this.clock.after(downMs, () => {
      this.start().catch((err: unknown) => this.opts.log?.(`simulator could not listen again: ${(err as Error).message}`));
    });
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log?.(`simulator error: ${(err as Error).stack}`);
        if (!res.headersSent) send(res, 500, { detail: 'simulator internal error' });
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port ?? this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const { port, address } = this.server.address() as AddressInfo;
    this.port = port;
    this.baseUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    this.comeback?.();
    this.comeback = undefined;
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves bytes at /files/<name>, e.g. keyframes for tests and the demo; `chunked` omits the length. */
  host(name: string, body: Buffer, type = 'application/octet-stream', chunked = false): string {
    this.files.set(name, { body, type, chunked });
    return `${this.baseUrl}/files/${name}`;
  }

  /** Answers /files/<name> with a redirect to `to`. */
  redirect(name: string, to: string): string {
    this.files.set(name, { redirect: to });
    return `${this.baseUrl}/files/${name}`;
  }

  inject(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Answers the next matching request(s) with RunComfy error `code`, on the HTTP status set for it unless `answer.status` says otherwise. */
  injectError(route: Route, code: number | string, answer: ErrorAnswer & { times?: number } = {}): void {
    this.inject({
      route,
      times: answer.times,
      status: answer.status ?? this.statusOf(code),
      body: errorBody(code, answer.message ?? `injected error ${code}`, {
        shape: answer.shape ?? this.opts.errorShape,
        codeAs: answer.codeAs,
        detail: answer.detail,
      }),
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** From now on the model endpoint of `model` (its id) publishes its input schema with these changes too. */
  changeSchema(model: string, ...changes: SchemaChange[]): void {
    this.schemaChanges.set(model, [...(this.schemaChanges.get(model) ?? []), ...changes]);
  }

  /** Every model publishes its own input schema again. */
  restoreSchemas(): void {
    this.schemaChanges.clear();
  }

  /** Timing (or failure) of the next submitted job(s), in order. */
  planNext(...plans: Partial<JobPlan>[]): void {
    this.plans.push(...plans);
  }

  count(route: Route): number {
    return this.requests.filter((r) => r.route === route).length;
  }

  /** When a job finished (or will), on the simulator's clock. */
  finishTime(id: string): number | undefined {
    const job = this.jobs.get(id);
    return job && job.submittedAt + job.plan.queueMs + job.plan.runMs;
  }

  stateOf(job: SimJob): { status: string; queuePosition?: number } {
    const now = this.clock.now();
    if (job.cancelledAt !== undefined) return { status: 'cancelled' };
    const started = job.submittedAt + job.plan.queueMs;
    if (now < started) {
      const ahead = [...this.jobs.values()].filter(
        (j) => j !== job && j.cancelledAt === undefined && j.submittedAt < job.submittedAt && now < j.submittedAt + j.plan.queueMs,
      ).length;
      return { status: 'in_queue', queuePosition: ahead };
    }
    if (now < started + job.plan.runMs) return { status: 'in_progress' };
    return { status: failState(job) ?? 'completed' };
  }

  /** What a job costs in USD: its price once accepted, 0 when cancelled, its plan's cost when failed; undefined when the price is unknown. */
  chargeOf(job: SimJob): number | undefined {
    const status = this.stateOf(job).status;
    if (status === 'cancelled') return 0;
    if (status === failState(job)) return job.plan.failWith?.costUsd ?? 0;
    return this.priceOf(job.model, job.input);
  }

  /** The sum charged (or held, for unfinished jobs) so far, across all tokens. */
  spentUsd(): number {
    return [...this.jobs.values()].reduce((sum, j) => sum + (this.chargeOf(j) ?? 0), 0);
  }

  private priceOf(model: AnyModel, input: ModelInputBase): number | undefined {
    const { base_price_usd: base, price_unit: unit = 'second' } = this.opts.price ?? model.simulator.price;
    const usd = Number(base);
    if (base === undefined || !Number.isFinite(usd)) return undefined;
    // What RunComfy charges the input per unit: its published price (a sound tier's), else the base × what the input adds
    // (a test's own price, when it sets one, is the base for every input).
    const rule = model.price;
    const perUnit = (this.opts.price ? undefined : rule.published?.usd(input)) ?? usd * (rule.factor?.(input) ?? 1);
    // Its own simple rule, independent of the client's parser: "request"-like units bill once, anything else per unit of the model's.
    return /request|run|generation|video|each|output/i.test(unit) ? perUnit : perUnit * rule.units(input);
  }

  private statusOf(code: number | string): number {
    return this.opts.errorStatus?.[Number(code) as RunComfyCode] ?? DEFAULT_ERROR_STATUS[Number(code) as RunComfyCode] ?? 400;
  }

  private error(code: RunComfyCode, message: string): { status: number; body: unknown } {
    return { status: this.statusOf(code), body: JSON.parse(errorBody(code, message, { shape: this.opts.errorShape })) };
  }

  /** A job this token may see, or the error RunComfy gives instead. */
  private visibleJob(id: string, token: string): SimJob | { status: number; body: unknown } {
    const job = this.jobs.get(id);
    if (!job || this.expired(job)) return this.error(RUNCOMFY_CODES.notFound, `Request ${id} does not exist, was deleted, or has expired.`);
    if (job.owner !== token) return this.error(RUNCOMFY_CODES.otherUser, `Request ${id} belongs to another user.`);
    return job;
  }

  private expired(job: SimJob): boolean {
    if (this.opts.expireAfterMs === undefined) return false;
    const state = this.stateOf(job).status;
    if (state === 'in_queue' || state === 'in_progress') return false;
    const endedAt = job.cancelledAt ?? this.finishTime(job.id)!;
    return this.clock.now() >= endedAt + this.opts.expireAfterMs;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = routeOf(req.method ?? 'GET', url.pathname);
    const entry: RequestLogEntry = {
      route: route?.route ?? 'file',
      method: req.method ?? '',
      path: url.pathname + url.search,
      at: this.clock.now(),
      status: 0,
      userAgent: req.headers['user-agent'],
    };
    res.on('finish', () => (entry.status = res.statusCode));
    if (route) this.requests.push(entry);
    const body = await readBody(req);
    if (!route) return send(res, 404, { detail: 'Not Found' });

    const fault = this.takeFault(route.route);
    if (fault && !fault.afterProcessing) {
      if (await applyFault(res, fault, this.clock)) return;
    }
    if (route.route === 'output') return this.serveOutput(res, route.id);
    if (route.route === 'file') return this.serveFile(res, route.id);

    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const answer =
      token === undefined || !this.tokens.has(token)
        ? this.error(RUNCOMFY_CODES.badToken, 'Invalid, missing or expired API token, or inactive account.')
        : await this.api(route.route, route.id, body, token, url.searchParams.get('include_cost') === 'true');
    if (fault?.afterProcessing && (await applyFault(res, fault, this.clock))) return;
    send(res, answer.status, answer.body);
  }

  private async api(route: Route, id: string, body: string, token: string, includeCost: boolean): Promise<{ status: number; body: unknown }> {
    if (route === 'balance') return { status: 200, body: this.balance() };
    if (route === 'submit' || route === 'model') {
      const model = modelById(id);
      if (!model) return this.error(RUNCOMFY_CODES.invalidModel, `Invalid model id: ${id}.`);
      return route === 'submit' ? await this.submit(model, body, token) : this.modelInfo(model);
    }
    const job = this.visibleJob(id, token);
    if (!('owner' in job)) return job;
    const state = this.stateOf(job);
    const base = { request_id: id, status: state.status, ...(state.queuePosition !== undefined && { queue_position: state.queuePosition }) };
    switch (route) {
      case 'status':
        return {
          status: 200,
          body: { ...base, status_url: `${this.baseUrl}/v1/requests/${id}/status`, result_url: `${this.baseUrl}/v1/requests/${id}/result` },
        };
      case 'result':
        return { status: 200, body: this.result(job, state, includeCost) };
      case 'cancel': {
        // Only a queued job can be cancelled; a cancelled one stays so (asking twice is harmless), anything else is untouched.
        if (state.status === 'in_queue') job.cancelledAt = this.clock.now();
        const cancelled = job.cancelledAt !== undefined;
        return { status: 202, body: { request_id: id, status: cancelled ? 'cancelled' : state.status, outcome: cancelled ? 'cancelled' : 'not_cancellable' } };
      }
      default:
        return { status: 404, body: { detail: 'Not Found' } };
    }
  }

  /** The core API's balance answer: what is left after every job's charge (or hold), across all tokens. */
  private balance(): { balance_usd: number; balance_microdollars: number; currency: string } {
    const micro = Math.round(((this.opts.balanceUsd ?? SIM_DEFAULT_BALANCE_USD) - this.spentUsd()) * 1e6);
    return { balance_usd: micro / 1e6, balance_microdollars: micro, currency: 'USD' };
  }

  /** The result answer: `succeeded` with the output, `failed` with an error, or the current state while not done. */
  private result(job: SimJob, { status, queuePosition }: { status: string; queuePosition?: number }, includeCost: boolean): Record<string, unknown> {
    const ended = status !== 'in_queue' && status !== 'in_progress';
    const cost = includeCost && ended ? this.chargeOf(job) : undefined;
    const times = {
      created_at: new Date(job.submittedAt).toISOString(),
      finished_at: ended ? new Date(job.cancelledAt ?? this.finishTime(job.id)!).toISOString() : null,
    };
    const common = { request_id: job.id, ...times, ...(cost !== undefined && { cost }) };
    if (status === 'completed') {
      return { ...common, status: 'succeeded', output: job.plan.output ?? { [job.model.makes]: `${this.baseUrl}/outputs/${job.id}.${outputExt(job)}` } };
    }
    if (status === failState(job)) {
      return { ...common, status, output: null, error: job.plan.failWith?.error ?? { message: 'The generation failed.' } };
    }
    return { ...common, status, output: null, ...(queuePosition !== undefined && { queue_position: queuePosition }) };
  }

  private modelInfo(model: AnyModel): { status: number; body: unknown } {
    const { down, ...price }: SimPrice = this.opts.price ?? model.simulator.price;
    if (down) return { status: 503, body: { detail: 'Service Unavailable' } };
    return { status: 200, body: { model_id: model.id, input_schema: changedSchema(model.schema, this.schemaChanges.get(model.id) ?? []), ...price } };
  }

  private async submit(model: AnyModel, body: string, token: string): Promise<{ status: number; body: unknown }> {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { status: 400, body: { detail: 'Body must be JSON.' } };
    }
    const parsed = upstreamInput(model, changedSchema(model.schema, this.schemaChanges.get(model.id) ?? [])).safeParse(json);
    if (!parsed.success) {
      return { status: 422, body: { detail: parsed.error.issues.map((i) => ({ loc: ['body', ...i.path], msg: i.message })) } };
    }
    const input = parsed.data;
    const images = Object.entries(model.images).flatMap(([f, spec]) => [input[f] ?? []].flat().map((url) => this.checkImage(f, String(url), spec)));
    const problems = (await Promise.all(images)).flat();
    if (problems.length > 0) return { status: 422, body: { detail: problems.join(' ') } };
    const price = this.priceOf(model, input) ?? 0;
    if (this.opts.balanceUsd !== undefined && this.spentUsd() + price > this.opts.balanceUsd + 1e-9) {
      return this.error(RUNCOMFY_CODES.noBalance, 'No remaining balance. Please top up your account.');
    }
    const timing = (typeof input.duration === 'number' ? this.opts.timing?.[input.duration] : undefined) ?? model.simulator.timing(input);
    const plan: JobPlan = { ...timing, ...this.plans.shift() };
    const id = randomUUID();
    this.jobs.set(id, { id, owner: token, model, sent: json as Record<string, unknown>, input, submittedAt: this.clock.now(), plan });
    this.submissions++;
    this.opts.log?.(`submitted ${id}: queue ${plan.queueMs} ms, run ${plan.runMs} ms`);
    return {
      status: 200,
      body: {
        request_id: id,
        status_url: `${this.baseUrl}/v1/requests/${id}/status`,
        result_url: `${this.baseUrl}/v1/requests/${id}/result`,
        cancel_url: `${this.baseUrl}/v1/requests/${id}/cancel`,
        ...(this.opts.submitAnswersState && { status: 'in_queue' }),
      },
    };
  }

  private async fetchImage(url: string): Promise<Buffer> {
    // Inline images, as RunComfy's own nodes send them: the bytes are in the URI.
    if (/^data:[^,]*;base64,/i.test(url)) return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
    const res = await request(url, { method: 'GET' });
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump();
      return this.fetchImage(new URL(String(res.headers.location), url).toString());
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`HTTP ${res.statusCode}`);
    }
    return Buffer.from(await res.body.arrayBuffer());
  }

  private async checkImage(field: string, url: string, spec: ImageSpec): Promise<string[]> {
    let buf: Buffer;
    try {
      buf = await this.fetchImage(url);
    } catch (err) {
      return [`${field}: could not download the file (${(err as Error).message}).`];
    }
    const meta = await sharp(buf)
      .metadata()
      .catch(() => undefined);
    if (!meta?.width || !meta.height || 'other' in acceptedFormat(meta, spec.types)) return [`${field}: unsupported file type.`];
    return imageRuleViolations(spec.rules, { bytes: buf.length, width: meta.width, height: meta.pageHeight ?? meta.height }).map(
      (v) => v.rule.validation_error,
    );
  }

  private async serveOutput(res: http.ServerResponse, name: string): Promise<void> {
    const id = name.replace(/\.[a-z0-9]+$/, '');
    const job = this.jobs.get(id);
    if (!job || this.stateOf(job).status !== 'completed' || this.expired(job)) return send(res, 404, { detail: 'Not Found' });
    if (job.plan.outputBytes) return streamSynthetic(res, job.plan.outputBytes);
    job.made ??= this.make(job);
    const { body, type } = await job.made;
    res.writeHead(200, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  }

  /**
   * What the job's model makes, as the model says: a clip fading through its frames (with sound if it says so), an
   * image of the prompt's colour with its references pasted in, or an MP3 of the asked length. Each tune is drawn
   * from the whole request, so the same request always sounds the same.
   */
  private async make(job: SimJob): Promise<{ body: Uint8Array; type: string }> {
    const makes = job.model.simulator.makes;
    const seed = JSON.stringify(job.input);
    switch (makes.kind) {
      case 'video': {
        const { frames, aspect, sound, scale } = makes.video(job.input);
        const images = await Promise.all(frames.map((url) => this.fetchImage(url)));
        const durationS = Number(job.input.duration);
        return { body: await fadeClip(images, { durationS, width: this.opts.clipWidth, scale, aspect, ...(sound && { soundSeed: seed }) }), type: 'video/mp4' };
      }
      case 'image': {
        const { references, ...picture } = makes.image(job.input);
        const body = await simulatedImage({ ...picture, references: await Promise.all(references.map((url) => this.fetchImage(url))) });
        return { body, type: `image/${picture.format}` };
      }
      case 'audio':
        return { body: mp3File({ seconds: makes.audio(job.input).seconds, seed }), type: 'audio/mpeg' };
    }
  }

  private serveFile(res: http.ServerResponse, name: string): void {
    const file = this.files.get(name);
    if (!file) return send(res, 404, { detail: 'Not Found' });
    if ('redirect' in file) {
      res.writeHead(302, { location: file.redirect });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, ...(!file.chunked && { 'content-length': file.body.length }) });
    res.end(file.body);
  }

  private takeFault(route: Route): Fault | undefined {
    const i = this.faults.findIndex((f) => f.route === route);
    if (i < 0) return undefined;
    const fault = this.faults[i]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(i, 1);
    return fault;
  }
}

/** The file extension of what a job makes. */
function outputExt(job: SimJob): string {
  const makes = job.model.simulator.makes;
  if (makes.kind === 'image') return makes.image(job.input).format === 'png' ? 'png' : 'jpg';
  return makes.kind === 'video' ? 'mp4' : 'mp3';
}

/** A copy of a published input schema with the changes made. */
function changedSchema(published: PublishedSchema, changes: readonly SchemaChange[]): PublishedSchema {
  const schema = structuredClone(published) as { required?: string[]; properties: Record<string, Record<string, unknown>> };
  for (const c of changes) {
    if ('require' in c) {
      schema.properties[c.require] ??= { title: c.require, type: 'string' };
      schema.required = [...new Set([...(schema.required ?? []), c.require])];
    } else if ('drop' in c) {
      delete schema.properties[c.drop];
      schema.required = schema.required?.filter((f) => f !== c.drop);
    } else {
      const { field, ...keywords } = c;
      const set = 'set' in keywords ? keywords.set : keywords;
      schema.properties[field] = { ...schema.properties[field], ...set };
    }
  }
  return schema;
}

/** The state a job planned to fail ends in, if it is planned to fail. */
function failState(job: SimJob): string | undefined {
  return job.plan.failWith && (job.plan.failWith.status ?? 'failed');
}

/** Applies a fault; true when it answered (or killed) the request. */
async function applyFault(res: http.ServerResponse, f: Fault, clock: Clock): Promise<boolean> {
  if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
  if (f.holdMs) await clock.sleep(f.holdMs);
  if (f.release) await f.release;
  if (f.reset === 'before-headers') {
    res.socket?.destroy();
    return true;
  }
  if (f.reset === 'mid-body') {
    res.writeHead(f.status ?? 200, { 'content-type': 'application/json', 'content-length': 1000, ...f.headers });
    res.write(f.body ?? '{"status":"in_pro');
    await new Promise((r) => setTimeout(r, 10));
    res.socket?.destroy();
    return true;
  }
  if (f.status !== undefined || f.body !== undefined) {
    res.writeHead(f.status ?? 200, { 'content-type': 'application/json', ...f.headers });
    res.end(f.body ?? JSON.stringify({ detail: `injected HTTP ${f.status}` }));
    return true;
  }
  return false;
}

/** Streams `size` bytes without holding them in memory. */
async function streamSynthetic(res: http.ServerResponse, size: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
  const chunk = Buffer.alloc(1 << 20, 0x6b);
  for (let sent = 0; sent < size; sent += chunk.length) {
    const piece = size - sent < chunk.length ? chunk.subarray(0, size - sent) : chunk;
    if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

function routeOf(method: string, path: string): { route: Route; id: string } | undefined {
  // Any model path routes, so an unknown model gets RunComfy's 400001; the id is the model's.
  const model = /^\/v1\/models\/(.+)$/.exec(path);
  if (model && (method === 'POST' || method === 'GET')) return { route: method === 'POST' ? 'submit' : 'model', id: decodeURIComponent(model[1]!) };
  const m = /^\/v1\/requests\/([^/]+)\/(status|result|cancel)$/.exec(path);
  if (m) {
    const route = m[2] as 'status' | 'result' | 'cancel';
    if ((route === 'cancel') !== (method === 'POST')) return undefined;
    return { route, id: decodeURIComponent(m[1]!) };
  }
  if (path === '/prod/v2/balance' && method === 'GET') return { route: 'balance', id: '' };
  const out = /^\/outputs\/([^/]+)$/.exec(path);
  if (out && method === 'GET') return { route: 'output', id: out[1]! };
  const file = /^\/files\/([^/]+)$/.exec(path);
  if (file && method === 'GET') return { route: 'file', id: decodeURIComponent(file[1]!) };
  return undefined;
}

/** A whole request may carry inline images; RunComfy's own nodes cap a request at 64 MiB. */
const MAX_REQUEST_BYTES = 64 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
