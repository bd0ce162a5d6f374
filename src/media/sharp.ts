/**
 * sharp as this server uses it: small images, one or two at a time. libvips'
 * defaults suit a batch converter instead: an operation cache of up to 50 MB
 * and a worker thread per core for every image, each thread keeping its own
 * malloc arena once it has run (memory the process never gets back). So no
 * cache (nothing is ever read twice) and one worker per image. Everything in
 * the server that calls sharp imports it from here, so this is set before the
 * first image is read.
 */
import sharp from 'sharp';

sharp.cache(false);
sharp.concurrency(1);

export default sharp;
