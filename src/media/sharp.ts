/**
 * sharp as this server uses it: small images, never read twice. libvips'
 * defaults suit a batch converter instead: an operation cache of up to 50 MB,
 * and a worker thread per core for every image, each thread keeping its own
 * malloc arena (about 2 MB here) once it has run, memory the process does not
 * get back. So no cache, one worker per image, and one image at a time in the
 * process (`oneAtATime`): fewer threads touch libvips, fewer arenas stay
 * behind. Everything in the server that calls sharp goes through here.
 */
import sharp from 'sharp';
import { Semaphore } from '../util/semaphore.js';

sharp.cache(false);
sharp.concurrency(1);

const lane = new Semaphore(1);

/** Runs one sharp job once the one before it is done. */
export function oneAtATime<T>(job: () => Promise<T>): Promise<T> {
  return lane.run(job);
}

export default sharp;
