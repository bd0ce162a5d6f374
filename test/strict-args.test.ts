/**
 * Strict arguments: a key a tool does not take is refused by name, with the near miss it probably was, before anything
 * is checked, priced or sent (a dropped `Duration: 10` used to render and bill the default 5 s).
 */
import { describe, expect } from 'vitest';
import { nearestKey } from '../src/tools/strict.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { call, ROOT, textOf } from './helpers.js';
import { labTest } from './lab.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const it = labTest().extend('clip', ({ frames }) => (extra: Record<string, unknown> = {}) => ({
  prompt: '@Image1 to @Image2',
  start_image_url: frames.start,
  end_image_url: frames.end,
  ...extra,
}));

describe('unknown arguments', () => {
  const cases: {
    name: string;
    tool: string;
    args: (clip: (e?: Record<string, unknown>) => Record<string, unknown>) => Record<string, unknown>;
    says: RegExp;
  }[] = [
    {
      name: '`Duration` (case)',
      tool: 'generate_video',
      args: (clip) => clip({ Duration: 10 }),
      says: /unknown argument `Duration`; did you mean `duration`\?/,
    },
    {
      name: '`wait-seconds` (-/_)',
      tool: 'generate_video',
      args: (clip) => clip({ 'wait-seconds': 0 }),
      says: /unknown argument `wait-seconds`; did you mean `wait_seconds`\?/,
    },
    {
      name: '`downlod` (a letter off)',
      tool: 'generate_video',
      args: (clip) => clip({ downlod: false }),
      says: /unknown argument `downlod`; did you mean `download`\?/,
    },
    {
      name: '`soundtrak` on a board',
      tool: 'generate_storyboard',
      args: (clip) => ({ shots: [clip()], soundtrak: '/tmp/a.m4a' }),
      says: /unknown argument `soundtrak`; did you mean `soundtrack`\?/,
    },
    {
      name: '`Duration` in a shot',
      tool: 'generate_storyboard',
      args: (clip) => ({ shots: [clip(), clip({ Duration: 10 })] }),
      says: /unknown argument `Duration`; did you mean `duration`\? \(a shot takes `prompt`, `start_image_url`, `end_image_url`, `duration`, `sound`, `model`\)/,
    },
    {
      name: '`tkae` in a revised shot',
      tool: 'revise_storyboard',
      args: (clip) => ({ storyboard_id: 'sb-abcdef123', shots: [clip({ tkae: 1 })] }),
      says: /unknown argument `tkae`; did you mean `take`\?/,
    },
    {
      name: 'a key like no other',
      tool: 'check_status',
      args: () => ({ request_id: 'abc', colour: 'red' }),
      says: /unknown argument `colour` \(check_status takes `request_id`, `wait_seconds`\)/,
    },
  ];
  for (const c of cases)
    it(`${c.name} is refused by name, with nothing checked or sent`, async ({ shared, sim, clip }) => {
      const before = sim.requests.length;
      const r = await call(shared.client, c.tool, c.args(clip));
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(c.says);
      expect(textOf(r)).toContain('Nothing was checked or submitted.');
      // Not even a frame fetched: the arguments are refused before any check.
      expect(sim.requests.length).toBe(before);
      expect(sim.submissions).toBe(0);
    });

  it('the refusal lists every key the tool takes', async ({ shared, clip }) => {
    const r = await call(shared.client, 'generate_video', clip({ Duration: 10 }));
    expect(textOf(r)).toContain(
      '(generate_video takes `prompt`, `start_image_url`, `end_image_url`, `duration`, `sound`, `model`, `wait_seconds`, `download`, `confirm_quote`)',
    );
    // The README quotes the refusal as the server words it.
    const said = /unknown argument `Duration`; did you mean `duration`\?/.exec(textOf(r))![0];
    expect(README.replace(/\s+/g, ' ')).toContain(said);
  });

  it('every published input schema, and every shot in it, says additionalProperties: false', async ({ shared }) => {
    const { tools } = await shared.client.listTools();
    expect(tools.length).toBeGreaterThan(5);
    for (const t of tools) {
      expect(t.inputSchema, t.name).toMatchObject({ additionalProperties: false });
      const shots = (t.inputSchema.properties as Record<string, { items?: unknown }> | undefined)?.shots;
      if (shots) expect(shots.items, t.name).toMatchObject({ additionalProperties: false });
    }
  });
});

describe('the near miss', () => {
  const keys = ['prompt', 'duration', 'wait_seconds', 'take', 'soundtrack'];
  it('is found for case, -/_ and one or two letters off; not for a different word', () => {
    expect(nearestKey('DURATION', keys)).toBe('duration');
    expect(nearestKey('wait-seconds', keys)).toBe('wait_seconds');
    expect(nearestKey('durtion', keys)).toBe('duration');
    expect(nearestKey('duraiton', keys)).toBe('duration');
    expect(nearestKey('tak', keys)).toBe('take');
    expect(nearestKey('size', keys)).toBeUndefined();
    expect(nearestKey('colour', keys)).toBeUndefined();
  });
});
