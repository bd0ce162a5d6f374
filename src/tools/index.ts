import { cancel } from './cancel.js';
import { checkStatus } from './check-status.js';
import { generateVideo } from './generate-video.js';
import { getResult } from './get-result.js';
import { listJobs } from './list-jobs.js';

export const TOOLS = [generateVideo, checkStatus, getResult, cancel, listJobs];
