/**
 * The models this server knows, by RunComfy id and by short key. The seed
 * endpoint is registered here and is the default everywhere (the tools offer
 * it); `registerModel` adds another (a later endpoint's module, or a test's).
 */
import { klingO1ImageToVideo } from './kling-o1-image-to-video.js';
import type { AnyModel, Model, ModelInputBase } from './model.js';

/** The model the tools, the ledger's old lines and the settings mean when they name none. */
export const DEFAULT_MODEL = klingO1ImageToVideo;

const byId = new Map<string, AnyModel>();
const byKey = new Map<string, AnyModel>();

/**
 * Adds a model. Its id and key must be new, and it must hold together: a key that fits a URI segment, a
 * default among its durations, a run time and a simulated timing for each, media fields among its inputs.
 * (Image rules are read, not checked, here: test/models.test.ts fails on a rule the interpreter cannot read.)
 * Returns what removes it again.
 */
export function registerModel<I extends ModelInputBase, F extends string>(model: Model<I, F>): () => void {
  const m: AnyModel = model;
  const problems = [
    byId.has(m.id) && `a model with id "${m.id}" is already registered`,
    byKey.has(m.key) && `a model with key "${m.key}" is already registered`,
    !/^[a-z0-9][a-z0-9._-]*$/.test(m.key) && `its key "${m.key}" must be lower-case letters, digits, ".", "_" and "-"`,
    !m.durations.includes(m.defaultDuration) && `its default duration ${m.defaultDuration} is not one of its durations`,
    ...m.durations.flatMap((d) => [
      m.expectedRunMs[d] === undefined && `it declares no expected run time for ${d} s clips`,
      m.simulator.timing[d] === undefined && `it declares no simulated timing for ${d} s clips`,
    ]),
    ...[...Object.keys(m.images), ...m.videoFields, 'duration'].map((f) => !(f in m.inputShape) && `"${f}" is not one of its input fields`),
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

/** The body of a submission: exactly the model's input fields, nothing the caller added beside them. */
export function requestBody(model: AnyModel, input: ModelInputBase): Record<string, unknown> {
  const fields = input as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(model.inputShape).flatMap((k) => (fields[k] === undefined ? [] : [[k, fields[k]]])));
}
