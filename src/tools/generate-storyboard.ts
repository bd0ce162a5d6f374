import { DEFAULT_MODEL } from '../models/registry.js';
import { boardCall } from './call.js';
import { boardEngineArgs, shotArgs } from './clip-args.js';
import { defineJobTool } from './define.js';
import { strictObject } from './strict.js';
import { filmArgs, filmTool, MAX_SHOTS, shotsArg } from './args.js';

const shotSchema = strictObject(
  shotArgs(),
  'a shot',
  'each shot must be an object with prompt, start_image_url, end_image_url and optionally duration, sound and model.',
);

export const generateStoryboard = defineJobTool({
  name: 'generate_storyboard',
  title: 'Generate a storyboard: many shots, one film',
  description:
    `Makes a film of up to ${MAX_SHOTS} shots with ${DEFAULT_MODEL.title} (or the engines \`model\` names, per board or per shot): each shot goes from its start frame to its end frame (usually shot i ` +
    'ends on the frame shot i+1 starts with). Every distinct frame is checked once before anything is paid for, and one bad ' +
    'frame means nothing is submitted. The whole board is priced, checked against the spend limit and confirmed at once; then ' +
    'the shots are submitted in order and waited for with one progress stream. When every shot is done the clips are joined, ' +
    'without re-encoding, into one MP4 (with the soundtrack, if given), with a contact sheet of the keyframes. If the wait ' +
    'ends first, continue with get_storyboard and the storyboard_id; revise_storyboard changes shots later.',
  input: {
    shots: shotsArg(shotSchema).describe(`The shots in film order (1–${MAX_SHOTS}); each takes the same fields as generate_video, duration defaulting to 5.`),
    ...boardEngineArgs,
    ...filmArgs,
  },
  ...filmTool,
  handle(args, call) {
    return call.boards.generate(args, boardCall(call));
  },
});
