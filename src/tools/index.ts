import { cancel } from './cancel.js';
import { checkStatus } from './check-status.js';
import { generateKeyframes } from './generate-keyframes.js';
import { generateSoundtrack } from './generate-soundtrack.js';
import { generateStoryboard } from './generate-storyboard.js';
import { generateVideo } from './generate-video.js';
import { getStoryboard } from './get-storyboard.js';
import { getResult } from './get-result.js';
import { listJobs } from './list-jobs.js';
import { playerFile } from './player-file.js';
import { reviseStoryboard } from './revise-storyboard.js';

export const TOOLS = [
  generateVideo,
  checkStatus,
  getResult,
  cancel,
  listJobs,
  generateStoryboard,
  getStoryboard,
  reviseStoryboard,
  generateKeyframes,
  generateSoundtrack,
  playerFile,
];
/** The tools the model sees (the bundle manifest lists these): app-only ones serve the player page alone. */
export const MODEL_TOOLS = TOOLS.filter((t) => t.ui !== 'app-only');
