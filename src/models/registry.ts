/**
 * The models this server knows, by RunComfy id and by short key, and the
 * image families keyframes are made with. The defaults are chosen here, the
 * one place that names particular models: the seed endpoint for clips (the
 * tools offer it), Seedream 5.0 Pro for keyframes, ElevenLabs for music.
 * `registerModel` adds another (a later endpoint's module, or a test's).
 */
import { kling304kImageToVideo } from './kling-3.0-4k-image-to-video.js';
import { kling30ProImageToVideo } from './kling-3.0-pro-image-to-video.js';
import { kling30StandardImageToVideo } from './kling-3.0-standard-image-to-video.js';
import { elevenlabsMusicGeneration } from './elevenlabs-music-generation.js';
import type { ImageFamily } from './image-family.js';
import { klingO1ImageToVideo } from './kling-o1-image-to-video.js';
import { klingO34kImageToVideo } from './kling-o3-4k-image-to-video.js';
import { klingO3ProImageToVideo } from './kling-o3-pro-image-to-video.js';
import { klingO3StandardImageToVideo } from './kling-o3-standard-image-to-video.js';
import type { AnyModel, Model, ModelInputBase } from './model.js';
import { nanoBanana2LiteEdit } from './nano-banana-2-lite-edit.js';
import { nanoBanana2LiteTextToImage } from './nano-banana-2-lite-text-to-image.js';
import { seedream5ProImageToImage } from './seedream-5-pro-image-to-image.js';
import { seedream5ProTextToImage } from './seedream-5-pro-text-to-image.js';

/** The model the tools, the ledger's old lines and the settings mean when they name none. */
export const DEFAULT_MODEL = klingO1ImageToVideo;

/** The keyframe families, the default first: `model` of generate_keyframes names one. */
export const IMAGE_FAMILIES: readonly ImageFamily[] = [
  { key: 'seedream-5-pro', name: 'Seedream 5.0 Pro', text: seedream5ProTextToImage, reference: seedream5ProImageToImage, referenceField: 'image' },
  { key: 'nano-banana-2-lite', name: 'Nano Banana 2 Lite', text: nanoBanana2LiteTextToImage, reference: nanoBanana2LiteEdit, referenceField: 'image_urls' },
];

/** The model soundtracks are made with. */
export const MUSIC_MODEL = elevenlabsMusicGeneration;

const byId = new Map<string, AnyModel>();
const byKey = new Map<string, AnyModel>();

/**
 * Adds a model. Its id and key must be new, and it must hold together: a key that fits a URI segment, an
 * expected run time for each of its clip lengths (one figure when it has none).
 * (Image rules are read, not checked, here: test/models.test.ts fails on a rule the interpreter cannot read;
 * its schema was read when it was defined.) Returns what removes it again.
 */
export function registerModel<I extends ModelInputBase, F extends string>(model: Model<I, F>): () => void {
  const m: AnyModel = model;
  const runs = m.expectedRunMs;
  const problems = [
    byId.has(m.id) && `a model with id "${m.id}" is already registered`,
    byKey.has(m.key) && `a model with key "${m.key}" is already registered`,
    !/^[a-z0-9][a-z0-9._-]*$/.test(m.key) && `its key "${m.key}" must be lower-case letters, digits, ".", "_" and "-"`,
    m.durations === undefined && typeof runs !== 'number' && 'it has no duration, so its expected run time is one figure',
    ...(m.durations ?? []).map((d) => typeof runs !== 'number' && runs[d] === undefined && `it declares no expected run time for ${d} s clips`),
    m.simulator.makes.kind !== m.makes && `its simulator makes ${m.simulator.makes.kind}, but the model makes ${m.makes}`,
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0) throw new Error(`cannot register model ${m.id}: ${problems.join('; ')}`);
  byId.set(m.id, m);
  byKey.set(m.key, m);
  // A test's model leaves with its test file: the suite's files share a process.
  return () => {
    byId.delete(m.id);
    byKey.delete(m.key);
  };
}

registerModel(DEFAULT_MODEL);
// The newer Kling engines, chosen per clip, board or shot by the clip and board tools' `model`.
const ENGINES: AnyModel[] = [
  kling30StandardImageToVideo,
  kling30ProImageToVideo,
  kling304kImageToVideo,
  klingO3StandardImageToVideo,
  klingO3ProImageToVideo,
  klingO34kImageToVideo,
];
for (const engine of ENGINES) registerModel(engine);

for (const family of IMAGE_FAMILIES) {
  registerModel(family.text);
  registerModel(family.reference);
}
registerModel(MUSIC_MODEL);

/** Every registered model, the default first. */
export function models(): AnyModel[] {
  return [...byId.values()];
}

export function modelById(id: string): AnyModel | undefined {
  return byId.get(id);
}

export function modelByKey(key: string): AnyModel | undefined {
  return byKey.get(key);
}

/** The image family a name means: its key, or the id or key of either of its endpoints. */
export function imageFamily(name: string): ImageFamily | undefined {
  return IMAGE_FAMILIES.find((f) => f.key === name || [f.text, f.reference].some((m) => m.id === name || m.key === name));
}

/** The body of a submission: exactly the model's input fields, nothing the caller added beside them. */
export function requestBody(model: AnyModel, input: ModelInputBase): Record<string, unknown> {
  return Object.fromEntries(Object.keys(model.inputShape).flatMap((k) => (input[k] === undefined ? [] : [[k, input[k]]])));
}
