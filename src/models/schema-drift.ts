/**
 * Has RunComfy changed a model's input since this server's copy of it was made? Compares the live `input_schema`
 * (GET /v1/models/{id}) with the registry's and with what the server sends: either one request's body, or every
 * field a model may send with every value its schema allows (what `doctor` checks). Differences that would make
 * RunComfy refuse, or judge, a request otherwise than this server does are "refuse"; the rest, which change nothing
 * sent, are "note". Pure, over plain JSON Schema as RunComfy writes it: its own type "float", `"default": null`, and
 * `validations` on media fields.
 */
import { z } from 'zod';
import type { AnyModel } from './model.js';

/** One property of an input schema, as far as the comparison reads it. */
export interface SchemaProperty {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly validations?: readonly unknown[];
}

/** A model's input schema: its properties and which are required. */
export interface InputSchema {
  readonly required?: readonly string[];
  readonly properties: Readonly<Record<string, SchemaProperty>>;
}

/** A keyword that is missing or malformed reads as absent: a live answer is never trusted beyond its shape. */
const bound = z.number().optional().catch(undefined);
const propertySchema = z.looseObject({
  type: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .catch(undefined),
  enum: z.array(z.unknown()).optional().catch(undefined),
  default: z.unknown().optional(),
  minimum: bound,
  maximum: bound,
  exclusiveMinimum: bound,
  exclusiveMaximum: bound,
  minLength: bound,
  maxLength: bound,
  minItems: bound,
  maxItems: bound,
  validations: z.array(z.unknown()).optional().catch(undefined),
});

/** A live `input_schema`, parsed: an object with properties, or not an input schema at all. */
export const inputSchemaJson = z.looseObject({
  required: z.array(z.string()).optional().catch(undefined),
  properties: z.record(z.string(), propertySchema),
});

/** What a request sends: one body, or (for a check of the model as a whole) its fields, each sent always or only sometimes. */
export type Sends = { body: Readonly<Record<string, unknown>> } | { fields: Readonly<Record<string, 'always' | 'sometimes'>> };

export type DriftKind =
  /** Live requires a field this server does not send (or not always). */
  | 'required_not_sent'
  /** A field gone from the live schema. */
  | 'field_gone'
  /** A field the live schema has and ours does not. */
  | 'field_added'
  /** A field ours requires and live no longer does. */
  | 'required_dropped'
  | 'type_changed'
  | 'enum_changed'
  /** minimum/maximum, a string's length or a list's size. */
  | 'range_changed'
  /** A media field's `validations` (RunComfy's image rules). */
  | 'validations_changed'
  /** The default of a field this server leaves to RunComfy. */
  | 'default_changed';

export interface SchemaDifference {
  kind: DriftKind;
  field: string;
  /** "refuse": RunComfy would now refuse or judge what is sent otherwise; "note": nothing sent is affected. */
  severity: 'refuse' | 'note';
  /** One sentence: what changed, and how it touches what is sent. */
  detail: string;
}

export interface SchemaDrift {
  refuse: SchemaDifference[];
  notes: SchemaDifference[];
}

/**
 * Every field a model's requests may carry (its input's fields: registry.ts#requestBody sends exactly these), and
 * whether each is always there: one the input requires or fills with a default is; an optional one only sometimes.
 */
export function fieldsSent(model: AnyModel): Record<string, 'always' | 'sometimes'> {
  return Object.fromEntries(
    Object.entries(model.inputShape).map(([field, type]) => {
      const absent = (type as z.ZodType).safeParse(undefined);
      return [field, !absent.success || absent.data !== undefined ? 'always' : 'sometimes'];
    }),
  );
}

/** What to do about a "refuse" difference: this server's copy of the model is out of date. */
export const DRIFT_ADVICE =
  "Update kling-o1-mcp to a version that follows RunComfy's change (npm install -g kling-o1-mcp@latest, or pull and rebuild your clone; " +
  'a bundle: install the newer one), or use another model until then.';

/** The differences between the live schema and ours that matter for what is sent. */
export function schemaDrift(live: InputSchema, ours: InputSchema, sends: Sends): SchemaDrift {
  const out: SchemaDifference[] = [];
  const sentFields = 'body' in sends ? Object.keys(sends.body).filter((k) => sends.body[k] !== undefined) : Object.keys(sends.fields);
  const fields = new Set([...Object.keys(live.properties), ...Object.keys(ours.properties), ...sentFields]);
  for (const field of fields) out.push(...fieldDrift(field, live, ours, sends, sentFields.includes(field)));
  return { refuse: out.filter((d) => d.severity === 'refuse'), notes: out.filter((d) => d.severity === 'note') };
}

/** The differences as one text: the model, each difference, and (when any refuses) what to do. */
export function driftText(model: string, drift: SchemaDrift): string {
  const list = (ds: SchemaDifference[]) => ds.map((d) => d.detail).join(' ');
  if (drift.refuse.length === 0)
    return `RunComfy's live input schema of ${model} changes nothing this server sends.${drift.notes.length ? ` ${list(drift.notes)}` : ''}`;
  return `RunComfy has changed the input of ${model} since this version of kling-o1-mcp was made: ${list(drift.refuse)} ${DRIFT_ADVICE}`;
}

function fieldDrift(field: string, live: InputSchema, ours: InputSchema, sends: Sends, sent: boolean): SchemaDifference[] {
  const L = live.properties[field];
  const O = ours.properties[field];
  const diff = (kind: DriftKind, refuse: boolean, detail: string): SchemaDifference => ({ kind, field, severity: refuse ? 'refuse' : 'note', detail });
  if (!L) {
    if (sent) return [diff('field_gone', true, `\`${field}\` is no longer one of its inputs, and this server sends it.`)];
    return O ? [diff('field_gone', false, `\`${field}\`, which this server does not send, is no longer one of its inputs.`)] : [];
  }
  const out: SchemaDifference[] = [];
  const liveRequires = live.required?.includes(field) ?? false;
  if (liveRequires && !sentAlways(field, sends)) {
    out.push(diff('required_not_sent', true, `\`${field}\` is now required, and this server ${sent ? 'does not always send it' : 'does not send it'}.`));
  } else if (!liveRequires && (ours.required?.includes(field) ?? false)) {
    out.push(diff('required_dropped', false, `\`${field}\` is no longer required.`));
  }
  if (!O) {
    if (!liveRequires) out.push(diff('field_added', false, `\`${field}\` is a new optional input${shownDefault(L)}.`));
    if (!sent) return out;
  }
  if (sent) out.push(...('body' in sends ? valueDrift(field, sends.body[field], L, diff) : schemaValuesDrift(field, L, O ?? {}, diff)));
  else out.push(...unsentDrift(field, L, O ?? {}, diff));
  const lv = L.validations ?? [];
  const ov = O?.validations ?? [];
  if (!sameMembers(lv, ov)) {
    const added = lv.filter((r) => !ov.some((ours) => same(ours, r))).length;
    const removed = ov.filter((r) => !lv.some((l) => same(l, r))).length;
    const what = `its \`validations\` changed (${added} rule${added === 1 ? '' : 's'} added, ${removed} removed)`;
    out.push(
      diff(
        'validations_changed',
        sent,
        sent ? `\`${field}\`: ${what}, and this server checks what it sends by the old ones.` : `\`${field}\` (not sent): ${what}.`,
      ),
    );
  }
  return out;
}

type Diff = (kind: DriftKind, refuse: boolean, detail: string) => SchemaDifference;

/** One sent value against the live property. */
function valueDrift(field: string, value: unknown, L: SchemaProperty, diff: Diff): SchemaDifference[] {
  const type = liveType(L);
  if (type && !typeHolds(type, value))
    return [diff('type_changed', true, `\`${field}\` must now be of type ${type}, and this server sends ${JSON.stringify(value)}.`)];
  if (L.enum && !L.enum.some((e) => same(e, value))) {
    return [diff('enum_changed', true, `\`${field}\` now takes only ${shownList(L.enum)}, and this server sends ${JSON.stringify(value)}.`)];
  }
  const measure = measureOf(value);
  if (measure) {
    const range = liveRange(L, measure.of);
    if (!range.holds(measure.size)) {
      return [diff('range_changed', true, `\`${field}\`: its ${measure.of} must now be ${range.text}, and this server sends ${measure.shown}.`)];
    }
  }
  return [];
}

/** Every value our schema lets the server send for a field, against the live property. */
function schemaValuesDrift(field: string, L: SchemaProperty, O: SchemaProperty, diff: Diff): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const lt = liveType(L);
  const ot = liveType(O);
  if (lt && ot && !typeFits(ot, lt)) out.push(diff('type_changed', true, `\`${field}\` is now of type ${lt}; this server sends ${ot}.`));
  const values = valuesOf(O, ot);
  if (L.enum) {
    const outside = values?.filter((v) => !L.enum!.some((e) => same(e, v)));
    if (!values) out.push(diff('enum_changed', true, `\`${field}\` now takes only ${shownList(L.enum)}, and this server may send other values.`));
    else if (outside!.length > 0) {
      out.push(diff('enum_changed', true, `\`${field}\` now takes only ${shownList(L.enum)}, and this server may send ${shownList(outside!)}.`));
    } else if (L.enum.length > values.length)
      out.push(diff('enum_changed', false, `\`${field}\` now also takes ${shownList(L.enum.filter((e) => !values.some((v) => same(v, e))))}.`));
  } else if (O.enum) out.push(diff('enum_changed', false, `\`${field}\` no longer lists the values it takes.`));
  const of = ot === 'string' ? 'length' : ot === 'array' ? 'size' : 'value';
  const ourRange = schemaRange(O, of, values);
  const range = liveRange(L, of);
  if (!range.covers(ourRange)) {
    out.push(diff('range_changed', true, `\`${field}\`: its ${of} must now be ${range.text}, and this server may send ${shownRange(ourRange)}.`));
  } else if (!liveRange(O, of).covers(range.bounds) && !L.enum) {
    out.push(diff('range_changed', false, `\`${field}\`: its ${of} may now be ${range.text}.`));
  }
  return out;
}

/** A field the server does not send: RunComfy's default decides it, and any other change is only of note. */
function unsentDrift(field: string, L: SchemaProperty, O: SchemaProperty, diff: Diff): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const ld = L.default ?? undefined;
  const od = O.default ?? undefined;
  if (!same(ld, od)) {
    out.push(
      diff(
        'default_changed',
        false,
        `\`${field}\` (not sent, so RunComfy's default applies) now defaults to ${ld === undefined ? 'nothing' : JSON.stringify(ld)}.`,
      ),
    );
  }
  const changed = (
    ['type', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const
  ).filter((k) => !same(k === 'type' ? liveType(L) : L[k], k === 'type' ? liveType(O) : O[k]));
  if (changed.length > 0) out.push(diff('range_changed', false, `\`${field}\` (not sent): its ${changed.join(', ')} changed.`));
  return out;
}

function sentAlways(field: string, sends: Sends): boolean {
  return 'body' in sends ? sends.body[field] !== undefined : sends.fields[field] === 'always';
}

/** JSON Schema's type, with RunComfy's "float" read as "number"; the first of a list. */
function liveType(p: SchemaProperty): string | undefined {
  const t = Array.isArray(p.type) ? p.type[0] : (p.type as string | undefined);
  return t === 'float' || t === 'double' ? 'number' : t;
}

/** Whether every value of type `ours` is a value of type `live` (an integer is a number). */
function typeFits(ours: string, live: string): boolean {
  return ours === live || (ours === 'integer' && live === 'number');
}

function typeHolds(type: string, v: unknown): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      // A type this comparison does not know is not a difference it can name.
      return true;
  }
}

type Of = 'value' | 'length' | 'size';
type Bounds = { min: number; max: number; minOpen: boolean; maxOpen: boolean };

const KEYWORDS: Record<Of, { min: 'minimum' | 'minLength' | 'minItems'; max: 'maximum' | 'maxLength' | 'maxItems' }> = {
  value: { min: 'minimum', max: 'maximum' },
  length: { min: 'minLength', max: 'maxLength' },
  size: { min: 'minItems', max: 'maxItems' },
};

/** What a sent value is measured by: a number itself, a string's length (in code points, as JSON Schema counts), a list's size. */
function measureOf(v: unknown): { of: Of; size: number; shown: string } | undefined {
  if (typeof v === 'number') return { of: 'value', size: v, shown: String(v) };
  if (typeof v === 'string') return { of: 'length', size: [...v].length, shown: `${[...v].length} characters` };
  if (Array.isArray(v)) return { of: 'size', size: v.length, shown: `${v.length} items` };
  return undefined;
}

/** The live bounds of a measure, as a check, a cover test and words. */
function liveRange(p: SchemaProperty, of: Of) {
  const bounds = boundsOf(p, of);
  const { min, max, minOpen, maxOpen } = bounds;
  return {
    bounds,
    text: shownRange(bounds),
    holds: (n: number) => (minOpen ? n > min : n >= min) && (maxOpen ? n < max : n <= max),
    covers: (r: Bounds) => (r.min > min || (r.min === min && (!minOpen || r.minOpen))) && (r.max < max || (r.max === max && (!maxOpen || r.maxOpen))),
  };
}

function boundsOf(p: SchemaProperty, of: Of): Bounds {
  const k = KEYWORDS[of];
  const xmin = of === 'value' ? p.exclusiveMinimum : undefined;
  const xmax = of === 'value' ? p.exclusiveMaximum : undefined;
  const min = Math.max(p[k.min] ?? -Infinity, xmin ?? -Infinity);
  const max = Math.min(p[k.max] ?? Infinity, xmax ?? Infinity);
  return { min, max, minOpen: xmin !== undefined && xmin >= (p[k.min] ?? -Infinity), maxOpen: xmax !== undefined && xmax <= (p[k.max] ?? Infinity) };
}

/** What our schema lets the server send: its bounds, narrowed to its listed values where it lists numbers. */
function schemaRange(O: SchemaProperty, of: Of, values: readonly unknown[] | undefined): Bounds {
  const numbers = of === 'value' ? values?.filter((v): v is number => typeof v === 'number') : undefined;
  if (numbers && numbers.length > 0) return { min: Math.min(...numbers), max: Math.max(...numbers), minOpen: false, maxOpen: false };
  return boundsOf(O, of);
}

/** The values a field may take, where they are few: its enum, or the integers of a bounded range. */
function valuesOf(p: SchemaProperty, type: string | undefined): readonly unknown[] | undefined {
  if (p.enum) return p.enum;
  if (type === 'boolean') return [true, false];
  const { min, max } = boundsOf(p, 'value');
  if (type === 'integer' && Number.isFinite(min) && Number.isFinite(max) && max - min <= 1000) {
    return Array.from({ length: Math.floor(max) - Math.ceil(min) + 1 }, (_, i) => Math.ceil(min) + i);
  }
  return undefined;
}

function shownRange({ min, max, minOpen, maxOpen }: Bounds): string {
  const lo = Number.isFinite(min) ? `${minOpen ? 'above' : 'at least'} ${min}` : undefined;
  const hi = Number.isFinite(max) ? `${maxOpen ? 'below' : 'at most'} ${max}` : undefined;
  return [lo, hi].filter(Boolean).join(' and ') || 'anything';
}

function shownList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function shownDefault(p: SchemaProperty): string {
  return p.default === undefined || p.default === null ? '' : ` (default ${JSON.stringify(p.default)})`;
}

/** JSON equality, whatever the order of an object's keys. */
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** The same rules, in any order: RunComfy's order of a field's rules carries no meaning. */
function sameMembers(a: readonly unknown[], b: readonly unknown[]): boolean {
  const sorted = (xs: readonly unknown[]) => xs.map(canonical).sort().join('\n');
  return a.length === b.length && sorted(a) === sorted(b);
}
