/**
 * The player page: shown by MCP Apps hosts beside the answers of the video and
 * storyboard tools. It draws what the answer says, loads saved videos through the
 * app-only player_file tool, and refreshes while anything is unfinished with
 * calls that never submit anything (check_status, get_storyboard with nothing
 * left to submit, or the storyboard resource).
 */
import { App, applyDocumentTheme, applyHostFonts, applyHostStyleVariables } from '@modelcontextprotocol/ext-apps';
import { phaseOf } from '../jobs/phase.js';
import {
  batchStateText,
  boardStateText,
  costText,
  hasUnsubmitted,
  isFinal,
  keyframeState,
  NO_HOST,
  parseAnswer,
  refreshKeyframe,
  stateText,
  type BoardData,
  type ClipData,
  type KeyframeBatchData,
  type KeyframeData,
  type ShotData,
} from './model.js';

const REFRESH_MS = 3000;
const root = document.getElementById('app')!;
const app = new App({ name: 'kling-o1-player', version: '0.1.0' }, {}, { autoResize: true });

type Shown = ClipData | BoardData | KeyframeBatchData;
let current: Shown | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Blob URLs by what they hold, so a refresh reuses what is already loaded. */
const media = new Map<string, Promise<string>>();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { cls?: string } = {}, ...kids: (Node | string)[]) {
  const { cls, ...rest } = props;
  const node = Object.assign(document.createElement(tag), rest);
  if (cls) node.className = cls;
  node.append(...kids);
  return node;
}

function applyContext(ctx: ReturnType<App['getHostContext']>): void {
  if (ctx?.theme) applyDocumentTheme(ctx.theme);
  if (ctx?.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx?.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
}

async function tool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await app.callServerTool({ name, arguments: args });
  const text = r.content?.find((c) => c.type === 'text')?.text;
  if (r.isError) throw new Error(text ?? `${name} failed`);
  return (r.structuredContent ?? {}) as Record<string, unknown>;
}

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A saved file, chunk by chunk through player_file, as a Blob URL. */
function loadFile(args: Record<string, unknown>): Promise<string> {
  const key = JSON.stringify(args);
  let url = media.get(key);
  if (!url) {
    url = (async () => {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let offset: number | undefined = 0;
      let mime = 'application/octet-stream';
      while (offset !== undefined) {
        const chunk = await tool('player_file', { ...args, offset });
        parts.push(base64Bytes(String(chunk.data ?? '')));
        mime = String(chunk.mime ?? mime);
        offset = typeof chunk.next_offset === 'number' ? chunk.next_offset : undefined;
      }
      return URL.createObjectURL(new Blob(parts, { type: mime }));
    })();
    url.catch(() => media.delete(key));
    media.set(key, url);
  }
  return url;
}

/** A <video> for a saved file (through the tool) or, when not saved, its output URL. */
function videoFor(label: string, source: { file: Record<string, unknown> } | { url: string } | undefined, note: HTMLElement): HTMLVideoElement | undefined {
  if (!source) return undefined;
  const video = el('video', { controls: true, preload: 'auto', playsInline: true, cls: 'video' });
  video.setAttribute('aria-label', label);
  if ('url' in source) video.src = source.url;
  else {
    note.textContent = 'Loading the video…';
    loadFile(source.file).then(
      (url) => {
        video.src = url;
        note.textContent = '';
      },
      (err: unknown) => (note.textContent = `The video could not be loaded: ${(err as Error).message}`),
    );
  }
  return video;
}

function badge(x: Parameters<typeof stateText>[0]): HTMLElement {
  const { text, tone } = stateText(x);
  return el('span', { cls: `badge ${tone}` }, text);
}

function facts(rows: [string, string | undefined][]): HTMLElement {
  const dl = el('dl', { cls: 'facts' });
  for (const [k, v] of rows) if (v) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

/** Start and end frames of a clip, taken from the clip itself (a standalone clip keeps no keyframes of its own). */
async function framesOf(src: string, strip: HTMLElement): Promise<void> {
  const probe = el('video', { muted: true, preload: 'auto', src });
  await new Promise((ok, fail) => {
    probe.addEventListener('loadeddata', ok, { once: true });
    probe.addEventListener('error', fail, { once: true });
  });
  for (const [label, t] of [
    ['Start', 0],
    ['End', Math.max(0, probe.duration - 0.05)],
  ] as const) {
    probe.currentTime = t;
    await new Promise((ok) => probe.addEventListener('seeked', ok, { once: true }));
    const canvas = el('canvas', { width: 160, height: Math.round((160 * probe.videoHeight) / Math.max(1, probe.videoWidth)) });
    canvas.getContext('2d')?.drawImage(probe, 0, 0, canvas.width, canvas.height);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${label} frame`);
    strip.append(el('figure', { cls: 'frame' }, canvas, el('figcaption', {}, label)));
  }
}

async function promptOf(requestId: string): Promise<string | undefined> {
  try {
    const r = await app.readServerResource({ uri: `kling://jobs/${requestId}` });
    const c = r.contents[0];
    const doc = c && 'text' in c ? (JSON.parse(c.text) as { input?: { prompt?: unknown } }) : undefined;
    return typeof doc?.input?.prompt === 'string' ? doc.input.prompt : undefined;
  } catch {
    return undefined;
  }
}

function renderClip(d: ClipData): void {
  const note = el('p', { cls: 'note', role: 'status' });
  const source = d.file ? { file: { kind: 'clip', request_id: d.request_id } } : d.video_url ? { url: d.video_url } : undefined;
  const video = videoFor(`Clip ${d.request_id}`, source, note);
  const prompt = el('p', { cls: 'prompt' });
  const strip = el('div', { cls: 'strip' });
  void promptOf(d.request_id).then((p) => (prompt.textContent = p ?? ''));
  video?.addEventListener('loadedmetadata', () => void framesOf(video.src, strip).catch(() => undefined), { once: true });
  root.replaceChildren(
    el(
      'section',
      { cls: 'card' },
      el('header', { cls: 'head' }, el('h1', {}, 'Clip'), badge(d)),
      ...(video ? [video] : []),
      note,
      prompt,
      strip,
      facts([
        ['Request', d.request_id],
        ['Cost', costText(d.cost)],
        ['Saved to', d.file?.path],
        ['Not saved', d.download_error],
      ]),
    ),
  );
  video?.addEventListener('loadedmetadata', () => {
    const dl = root.querySelector('.facts');
    dl?.prepend(el('dt', {}, 'Duration'), el('dd', {}, `${video.duration.toFixed(1)} s`));
  });
}

function shotCard(s: ShotData): HTMLElement {
  const note = el('p', { cls: 'note' });
  const video = s.done
    ? videoFor(
        `Shot ${s.index}`,
        s.file && s.request_id ? { file: { kind: 'clip', request_id: s.request_id } } : s.video_url ? { url: s.video_url } : undefined,
        note,
      )
    : undefined;
  const card = el(
    'article',
    { cls: 'shot' },
    el('header', { cls: 'head' }, el('h3', {}, `Shot ${s.index}`), badge(s)),
    el('p', { cls: 'prompt' }, s.prompt),
    ...(video ? [video] : []),
    note,
    facts([
      ['Length', s.duration !== undefined ? `${s.duration} s` : undefined],
      ['Sound', s.sound ? 'its own' : undefined],
      ['Take', s.take !== undefined ? `${s.take}` : undefined],
      ['Start frame', s.keyframe_ids?.start],
      ['End frame', s.keyframe_ids?.end],
      ['Job', s.request_id],
      ['Cost', costText(s.cost)],
      ['Saved to', s.file?.path],
    ]),
  );
  card.dataset.shot = String(s.index);
  card.dataset.status = s.status;
  return card;
}

async function keyframes(b: BoardData, strip: HTMLElement): Promise<void> {
  if (!b.has_sheet) return;
  let count = 1;
  for (let i = 0; i < count; i++) {
    const r = await tool('player_file', { kind: 'keyframe', storyboard_id: b.storyboard_id, index: i });
    count = typeof r.keyframes === 'number' ? r.keyframes : count;
    const img = el('img', {
      src: URL.createObjectURL(new Blob([base64Bytes(String(r.data))], { type: String(r.mime) })),
      alt: `Keyframe ${i + 1} (shot ${String(r.label)})`,
    });
    strip.append(el('figure', { cls: 'frame' }, img, el('figcaption', {}, `Shot ${String(r.label)}`)));
  }
}

/** The board on screen, updated in place: a refresh replaces only the shot cards that changed, so a video being watched plays on. */
interface BoardDom {
  id: string;
  title: HTMLElement;
  badge: HTMLElement;
  strip: HTMLElement;
  sheetLoaded: boolean;
  film: HTMLElement;
  filmShown: boolean;
  facts: HTMLElement;
  warnings: HTMLElement;
  shots: HTMLElement;
  cards: Map<number, { key: string; node: HTMLElement }>;
}
let board: BoardDom | undefined;

function boardDom(id: string): BoardDom {
  if (board?.id === id) return board;
  const d: BoardDom = {
    id,
    title: el('h1'),
    badge: el('span', { cls: 'badge board', role: 'status' }),
    strip: el('div', { cls: 'strip' }),
    sheetLoaded: false,
    film: el('div'),
    filmShown: false,
    facts: el('div'),
    warnings: el('div'),
    shots: el('div', { cls: 'shots' }),
    cards: new Map(),
  };
  root.replaceChildren(el('section', { cls: 'card' }, el('header', { cls: 'head' }, d.title, d.badge), d.strip, d.film, d.facts, d.warnings, d.shots));
  board = d;
  return d;
}

function renderBoard(b: BoardData): void {
  const d = boardDom(b.storyboard_id);
  d.title.textContent = b.title ?? 'Storyboard';
  d.badge.textContent = boardStateText(b);
  if (b.has_sheet && !d.sheetLoaded) {
    d.sheetLoaded = true;
    void keyframes(b, d.strip).catch(() => (d.sheetLoaded = false));
  }
  if (b.film && !d.filmShown) {
    d.filmShown = true;
    const note = el('p', { cls: 'note' });
    const film = videoFor('Film', { file: { kind: 'film', storyboard_id: b.storyboard_id } }, note)!;
    film.classList.add('film');
    d.film.replaceChildren(el('h2', {}, 'Film'), film, note, ...(b.film.notes ?? []).map((n) => el('p', { cls: 'note' }, n)));
  }
  d.facts.replaceChildren(
    facts([
      ['Storyboard', b.storyboard_id],
      ['Cost', costText(b.cost)],
      ['Film', b.film?.path],
      ['Sound', b.film?.sound],
    ]),
  );
  d.warnings.replaceChildren(
    ...(b.warnings.length > 0 ? [el('ul', { cls: 'warnings', ariaLabel: 'Warnings' }, ...b.warnings.map((w) => el('li', {}, w)))] : []),
  );
  for (const s of b.shots) {
    const key = JSON.stringify(s);
    const had = d.cards.get(s.index);
    if (had?.key === key) continue;
    const node = shotCard(s);
    if (had) had.node.replaceWith(node);
    else d.shots.append(node);
    d.cards.set(s.index, { key, node });
  }
}

const KEYFRAME_TONE = { made: 'done', failed: 'failed', 'being made': 'running' } as const;

/** One keyframe's card: its image, id, prompt, size and state. */
function keyframeCard(k: KeyframeData, prompts: Map<string, Promise<string | undefined>>): HTMLElement {
  const state = keyframeState(k);
  const prompt = el('p', { cls: 'prompt' });
  if (k.request_id) {
    const id = k.request_id;
    if (!prompts.has(id)) prompts.set(id, promptOf(id));
    void prompts.get(id)!.then((p) => (prompt.textContent = p ?? ''));
  }
  const img = state === 'made' && (k.file || k.url) ? [el('img', { alt: `Keyframe ${k.keyframe_id}`, cls: 'thumb' })] : [];
  // The saved image through player_file (by its id, via the ledger); RunComfy's URL when not saved (or not readable).
  if (img[0] && k.file) {
    loadFile({ kind: 'image', keyframe_id: k.keyframe_id }).then(
      (src) => (img[0]!.src = src),
      () => k.url && (img[0]!.src = k.url),
    );
  } else if (img[0] && k.url) img[0].src = k.url;
  const card = el(
    'article',
    { cls: 'shot' },
    el(
      'header',
      { cls: 'head' },
      el('h3', {}, k.keyframe_id),
      el('span', { cls: `badge ${KEYFRAME_TONE[state]}` }, state === 'failed' && k.error ? `failed: ${k.error}` : state),
    ),
    ...img,
    prompt,
    facts([
      ['Size', k.width && k.height ? `${k.width}×${k.height}` : undefined],
      ['Cost', k.cost_usd !== undefined ? `$${k.cost_usd.toFixed(2)}` : undefined],
      ['Job', k.request_id],
      ['Saved to', k.file?.path],
    ]),
  );
  card.dataset.keyframe = k.keyframe_id;
  return card;
}

const batchPrompts = new Map<string, Promise<string | undefined>>();

function renderBatch(b: KeyframeBatchData): void {
  root.replaceChildren(
    el(
      'section',
      { cls: 'card' },
      el('header', { cls: 'head' }, el('h1', {}, `Keyframes (${b.model})`), el('span', { cls: 'badge board', role: 'status' }, batchStateText(b))),
      facts([['Cost', b.cost_usd !== null ? `$${b.cost_usd.toFixed(2)}` : 'price unknown until RunComfy charges']]),
      el('div', { cls: 'shots keyframes' }, ...b.keyframes.map((k) => keyframeCard(k, batchPrompts))),
    ),
  );
}

/** Re-renders only when the answer changed, so videos being watched are not reset by a refresh that found nothing new. */
let shown = '';
function show(d: Shown): void {
  current = d;
  const key = JSON.stringify(d);
  if (key !== shown) {
    shown = key;
    if (d.kind === 'board') renderBoard(d);
    else {
      board = undefined;
      if (d.kind === 'clip') renderClip(d);
      else renderBatch(d);
    }
  }
  schedule();
}

function schedule(): void {
  clearTimeout(timer);
  timer = undefined;
  if (!current || isFinal(current) || document.hidden) return;
  timer = setTimeout(() => void refresh(), REFRESH_MS);
}

/** Unfinished shots get their queue position and elapsed time from check_status (read-only). */
async function refineShots(b: BoardData): Promise<BoardData> {
  const shots = await Promise.all(
    b.shots.map(async (s) => {
      if (s.done || !s.request_id) return s;
      const r = parseAnswer(await tool('check_status', { request_id: s.request_id, wait_seconds: 0 }).catch(() => undefined));
      return r?.kind === 'clip' ? { ...s, status: r.status, queue_position: r.queue_position, elapsed_s: r.elapsed_s } : s;
    }),
  );
  return { ...b, shots };
}

/**
 * An unfinished keyframe by check_status; once made, get_result saves its image (it only downloads; nothing is
 * submitted), as for a clip: check_status's answer has no output of a job no call has collected, so no image to show.
 */
async function refreshOne(k: KeyframeData): Promise<KeyframeData> {
  if (keyframeState(k) !== 'being made' || !k.request_id) return k;
  const args = { request_id: k.request_id, wait_seconds: 0 };
  const status = await tool('check_status', args).catch(() => undefined);
  const made = refreshKeyframe(k, status);
  if (keyframeState(made) !== 'made' || made.file) return made;
  // Not read (the host went away, a network blip): still being made here, asked again at the next tick.
  const result = await tool('get_result', args).catch(() => undefined);
  return result ? refreshKeyframe(made, result) : k;
}

async function refresh(): Promise<void> {
  const d = current;
  if (!d) return;
  try {
    let next: Shown | undefined;
    if (d.kind === 'keyframes') {
      // Each unfinished keyframe by check_status, then get_result once made: generate_keyframes itself is never called from here.
      next = { ...d, keyframes: await Promise.all(d.keyframes.map(refreshOne)) };
    } else if (d.kind === 'clip') {
      next = parseAnswer(await tool('check_status', { request_id: d.request_id, wait_seconds: 0 }));
      // Done: get_result saves the clip (it only downloads; nothing is submitted).
      if (next?.kind === 'clip' && phaseOf(next.status) === 'completed')
        next = parseAnswer(await tool('get_result', { request_id: d.request_id, wait_seconds: 0 }));
    } else if (hasUnsubmitted(d)) {
      const r = await app.readServerResource({ uri: `kling://storyboards/${d.storyboard_id}` });
      const c = r.contents[0];
      next = c && 'text' in c ? parseAnswer(JSON.parse(c.text)) : undefined;
    } else {
      next = parseAnswer(await tool('get_storyboard', { storyboard_id: d.storyboard_id, wait_seconds: 0 }));
    }
    if (next?.kind === 'board' && !isFinal(next)) next = await refineShots(next);
    show(next ?? d);
  } catch {
    // A failed refresh (the host went away, a network blip) is retried at the next tick.
    schedule();
  }
}

document.addEventListener('visibilitychange', () => (document.hidden ? (clearTimeout(timer), (timer = undefined)) : void refresh()));

app.ontoolresult = (r) => {
  const d = parseAnswer(r.structuredContent);
  if (d) show(d);
  else if (r.isError) {
    const text = (r.content as { type: string; text?: string }[] | undefined)?.find((c) => c.type === 'text')?.text;
    root.replaceChildren(el('p', { cls: 'note', role: 'status' }, text ?? 'The call failed.'));
  }
};
app.onhostcontextchanged = (ctx) => applyContext(ctx);
app.onteardown = () => {
  clearTimeout(timer);
  return Promise.resolve({});
};

// Opened on its own (a file, a tab) the page has no host to ask, and would only answer its own request: it says so, and throws nothing.
const noHost = () => root.replaceChildren(el('p', { cls: 'note', role: 'status' }, NO_HOST));

if (window.parent === window) noHost();
else {
  root.replaceChildren(el('p', { cls: 'note', role: 'status' }, 'Waiting for the answer…'));
  app.connect().then(() => applyContext(app.getHostContext()), noHost);
}
