/**
 * What the player shows, without the DOM: which answer it was given (a clip or a
 * storyboard), each state in words, and when it may stop refreshing. The answers'
 * fields are read defensively: the page may meet a newer or older server.
 */
import { phaseOf } from '../jobs/phase.js';

export interface SavedFileLike {
  path: string;
  bytes?: number;
  mime?: string;
}

export interface Cost {
  estimate_usd: number | null;
  charged_usd: number | null;
}

export interface ClipData {
  kind: 'clip';
  request_id: string;
  status: string;
  done: boolean;
  queue_position?: number;
  elapsed_s?: number;
  error?: string;
  download_error?: string;
  video_url?: string;
  file?: SavedFileLike;
  cost?: Cost;
}

export interface ShotData {
  index: number;
  request_id?: string;
  /** Which take of the shot this is, where the server numbers them. */
  take?: number;
  status: string;
  done: boolean;
  prompt: string;
  duration?: number;
  error?: string;
  video_url?: string;
  file?: SavedFileLike;
  cost?: Cost;
  /** The kf-… ids its frames were given as, where they were. */
  keyframe_ids?: { start?: string; end?: string };
  /** Its engine (RunComfy id) and whether its clip has sound of its own. */
  model?: string;
  sound?: boolean;
  /** Refined by check_status while the shot runs. */
  queue_position?: number;
  elapsed_s?: number;
}

export interface BoardData {
  kind: 'board';
  storyboard_id: string;
  title?: string;
  status: string;
  shots: ShotData[];
  /** `sound`: what the film carries, in words (filmSoundText). */
  film?: SavedFileLike & { duration_s?: number; notes?: string[]; sound?: string };
  film_error?: string;
  has_sheet: boolean;
  cost?: Cost;
  warnings: string[];
}

/** One keyframe of a batch (generate_keyframes), as the page shows it. */
export interface KeyframeData {
  keyframe_id: string;
  status: string;
  request_id?: string;
  url?: string;
  width?: number;
  height?: number;
  cost_usd?: number;
  error?: string;
  file?: SavedFileLike;
}

export interface KeyframeBatchData {
  kind: 'keyframes';
  model: string;
  keyframes: KeyframeData[];
  cost_usd: number | null;
  done: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const usd = (v: unknown): number | null => num(v) ?? null;

function cost(v: unknown): Cost | undefined {
  return isObj(v) ? { estimate_usd: usd(v.estimate_usd), charged_usd: usd(v.charged_usd) } : undefined;
}

function savedFile(v: unknown): SavedFileLike | undefined {
  if (!isObj(v) || !str(v.path)) return undefined;
  return { path: v.path as string, bytes: num(v.bytes), mime: str(v.mime) };
}

/** The saved video among a job's files (a job may save an image too). */
function savedVideo(files: unknown): SavedFileLike | undefined {
  if (!Array.isArray(files)) return undefined;
  const all = files.map(savedFile).filter((f): f is SavedFileLike => f !== undefined);
  return all.find((f) => f.mime?.startsWith('video/')) ?? all[0];
}

/** The saved image among a job's files. */
function savedImage(files: unknown): SavedFileLike | undefined {
  if (!Array.isArray(files)) return undefined;
  return files.map(savedFile).find((f) => f?.mime?.startsWith('image/'));
}

function videoUrl(output: unknown): string | undefined {
  if (!isObj(output)) return undefined;
  const url = str(output.video) ?? (Array.isArray(output.videos) ? str(output.videos[0]) : undefined);
  return url && /^https?:\/\//.test(url) ? url : undefined;
}

/** A tool answer's structuredContent as the player reads it; undefined for anything it does not show. */
export function parseAnswer(s: unknown): ClipData | BoardData | KeyframeBatchData | undefined {
  if (!isObj(s)) return undefined;
  if (Array.isArray(s.keyframes) && str(s.model)) return parseBatch(s);
  if (str(s.storyboard_id) && Array.isArray(s.shots)) return parseBoard(s);
  if (str(s.request_id) && str(s.status)) return parseClip(s);
  return undefined;
}

function parseClip(s: Obj): ClipData {
  return {
    kind: 'clip',
    request_id: s.request_id as string,
    status: s.status as string,
    done: s.done === true,
    queue_position: num(s.queue_position),
    elapsed_s: num(s.elapsed_s),
    error: str(s.error),
    download_error: str(s.download_error),
    video_url: videoUrl(s.output),
    file: savedVideo(s.files),
    cost: cost(s.cost),
  };
}

const httpUrl = (v: unknown): string | undefined => (typeof v === 'string' && /^https?:\/\//.test(v) ? v : undefined);

function parseBatch(s: Obj): KeyframeBatchData {
  const keyframes = (s.keyframes as unknown[])
    .filter((k): k is Obj => isObj(k) && str(k.keyframe_id) !== undefined)
    .map((k): KeyframeData => ({
      keyframe_id: k.keyframe_id as string,
      status: str(k.status) ?? 'unknown',
      request_id: str(k.request_id),
      url: httpUrl(k.url),
      width: num(k.width),
      height: num(k.height),
      cost_usd: num(k.cost_usd),
      error: str(k.error),
      file: savedFile(k.file),
    }));
  return { kind: 'keyframes', model: s.model as string, keyframes, cost_usd: num(s.cost_usd) ?? null, done: s.done === true };
}

const KEYFRAME_FAILED = new Set(['failed', 'cancelled', 'outcome_unknown']);

/** A keyframe's state in three: made (reused counts), failed (or its outcome unknown), or still being made. */
export function keyframeState(k: KeyframeData): 'made' | 'failed' | 'being made' {
  if (k.status === 'made' || k.status === 'reused' || k.file !== undefined) return 'made';
  if (KEYFRAME_FAILED.has(k.status) || KEYFRAME_FAILED.has(phaseOf(k.status))) return 'failed';
  return 'being made';
}

/**
 * A keyframe refreshed by a job answer, check_status's or get_result's (the batch is never called again, which could
 * spend). Completed: made, with its image's URL and saved file where the answer has them (get_result's does).
 */
export function refreshKeyframe(k: KeyframeData, status: unknown): KeyframeData {
  if (!isObj(status) || !str(status.status)) return k;
  const phase = phaseOf(status.status as string);
  if (phase === 'completed') {
    const out = isObj(status.output) ? status.output : {};
    const url = httpUrl(Array.isArray(out.images) ? out.images[0] : undefined) ?? httpUrl(out.image) ?? k.url;
    const file = savedImage(status.files) ?? k.file;
    return { ...k, status: 'made', ...(url && { url }), ...(file && { file }) };
  }
  return { ...k, status: phase === 'failed' || phase === 'cancelled' ? phase : (status.status as string), error: str(status.error) ?? k.error };
}

export function batchStateText(b: KeyframeBatchData): string {
  const made = b.keyframes.filter((k) => keyframeState(k) === 'made').length;
  const failed = b.keyframes.filter((k) => keyframeState(k) === 'failed').length;
  return `${made} of ${b.keyframes.length} keyframes made${failed > 0 ? `, ${failed} failed` : ''}`;
}

function parseBoard(s: Obj): BoardData {
  const shots = (s.shots as unknown[]).filter(isObj).map((shot, i): ShotData => ({
    index: num(shot.index) ?? i + 1,
    request_id: str(shot.request_id),
    take: num(shot.take) ?? (isObj(shot.take) ? num(shot.take.number) : undefined),
    status: str(shot.status) ?? 'unknown',
    done: shot.done === true,
    prompt: str(shot.prompt) ?? '',
    duration: num(shot.duration),
    error: str(shot.error),
    video_url: videoUrl(shot.output),
    file: savedVideo(shot.files),
    cost: cost(shot.cost),
    ...(isObj(shot.keyframe_ids) && { keyframe_ids: { start: str(shot.keyframe_ids.start), end: str(shot.keyframe_ids.end) } }),
    model: str(shot.model),
    ...(typeof shot.sound === 'boolean' && { sound: shot.sound }),
  }));
  const film = savedFile(s.film);
  const filmObj = isObj(s.film) ? s.film : {};
  return {
    kind: 'board',
    storyboard_id: s.storyboard_id as string,
    title: str(s.title),
    status: str(s.status) ?? 'unknown',
    shots,
    ...(film && {
      film: {
        ...film,
        duration_s: num(filmObj.duration_s),
        notes: Array.isArray(filmObj.notes) ? filmObj.notes.filter((n) => typeof n === 'string') : [],
        sound: filmSoundText(filmObj.audio),
      },
    }),
    film_error: str(s.film_error),
    has_sheet: savedFile(s.sheet) !== undefined,
    cost: cost(s.cost),
    warnings: Array.isArray(s.warnings) ? s.warnings.filter((w): w is string => typeof w === 'string') : [],
  };
}

/**
 * The film's sound (the board answer's `film.audio`) in words: "the clips' own (aac, 15.0 s; silent: shot 2)", "the
 * soundtrack (mp3, 15.0 s)", "none (no clip has sound)"; undefined for a film made before its sound was recorded.
 */
export function filmSoundText(audio: unknown): string | undefined {
  if (!isObj(audio)) return undefined;
  const from = str(audio.from);
  if (from === 'none' || !from) return `none${str(audio.why) ? ` (${str(audio.why)})` : ''}`;
  const seconds = num(audio.duration_s);
  const silent = Array.isArray(audio.silent_shots) ? audio.silent_shots.filter((n) => typeof n === 'number') : [];
  const detail = [
    [str(audio.codec), seconds !== undefined ? `${seconds.toFixed(1)} s` : undefined].filter(Boolean).join(', '),
    silent.length > 0 ? `silent: shot${silent.length > 1 ? 's' : ''} ${silent.join(', ')}` : '',
  ].filter(Boolean);
  return `${from === 'soundtrack' ? 'the soundtrack' : "the clips' own"}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}`;
}

/** What the page says when opened without an MCP Apps host to show it. */
export const NO_HOST =
  'This page is shown by an MCP Apps host, such as Claude, VS Code Copilot, Cursor, Goose or MCPJam, beside the answers of kling-o1-mcp; opened on its own it has nothing to show.';

export type Tone = 'waiting' | 'running' | 'done' | 'failed' | 'attention';

/** A job's or shot's state in words, with a tone for its badge. */
export function stateText(x: { status: string; done?: boolean; queue_position?: number; elapsed_s?: number; error?: string }): { text: string; tone: Tone } {
  const elapsed = x.elapsed_s !== undefined ? `${x.elapsed_s} s` : undefined;
  switch (x.status) {
    case 'not_submitted':
      return { text: 'Not submitted yet', tone: 'waiting' };
    case 'submitting':
      return { text: 'Submitting', tone: 'waiting' };
    case 'submitted':
      return { text: 'Submitted, not checked yet', tone: 'waiting' };
    case 'outcome_unknown':
      return { text: 'Submission got no answer: check your RunComfy dashboard', tone: 'attention' };
  }
  switch (phaseOf(x.status)) {
    case 'queued':
      return { text: `Queued${x.queue_position !== undefined ? `, position ${x.queue_position}` : ''}${elapsed ? ` (${elapsed})` : ''}`, tone: 'waiting' };
    case 'running':
      return { text: `Running${elapsed ? `, ${elapsed} so far` : ''}`, tone: 'running' };
    case 'completed':
      return { text: `Done${elapsed ? ` in ${elapsed}` : ''}`, tone: 'done' };
    case 'cancelled':
      return { text: 'Cancelled', tone: 'attention' };
    case 'failed':
      return { text: `Failed: ${x.error ?? `RunComfy reported "${x.status}"`}`, tone: 'failed' };
  }
}

const BOARD_STATES: Record<string, string> = {
  planned: 'Shots left to submit',
  running: 'Running',
  completed: 'Done',
  needs_attention: 'Needs attention',
  cancelled: 'Cancelled',
};

export function boardStateText(b: BoardData): string {
  const done = b.shots.filter((s) => s.status === 'completed').length;
  const film = b.film ? ', film ready' : b.film_error ? `, film not stitched: ${b.film_error}` : b.status === 'completed' ? ', stitching the film' : '';
  return `${BOARD_STATES[b.status] ?? b.status.replace(/_/g, ' ')}: ${done} of ${b.shots.length} shots done${film}`;
}

export function costText(c: Cost | undefined): string | undefined {
  if (!c) return undefined;
  if (c.charged_usd !== null) return `$${c.charged_usd.toFixed(2)} charged${c.estimate_usd !== null ? ` (expected $${c.estimate_usd.toFixed(2)})` : ''}`;
  if (c.estimate_usd !== null) return `about $${c.estimate_usd.toFixed(2)} expected`;
  return undefined;
}

/** Nothing will change any more without someone asking: the page stops refreshing. */
export function isFinal(d: ClipData | BoardData | KeyframeBatchData): boolean {
  // A keyframe with no job yet (another call is submitting it) has nothing to check: only that call's answer will say.
  if (d.kind === 'keyframes') return d.keyframes.every((k) => keyframeState(k) !== 'being made' || !k.request_id);
  if (d.kind === 'clip') return d.done && (phaseOf(d.status) !== 'completed' || d.file !== undefined || d.download_error !== undefined);
  if (d.status === 'completed') return d.film !== undefined || d.film_error !== undefined;
  return d.status === 'needs_attention' || d.status === 'cancelled';
}

/** A board whose plan still has shots to submit is refreshed without get_storyboard, which would submit them: the page spends nothing. */
export function hasUnsubmitted(b: BoardData): boolean {
  return b.shots.some((s) => s.status === 'not_submitted' || s.status === 'submitting' || s.status === 'outcome_unknown');
}
