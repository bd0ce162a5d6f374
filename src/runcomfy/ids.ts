/**
 * What RunComfy's ids may look like: the client checks every id against these before it goes into a URL, the tools
 * every request_id they are given. Apart from the answer schemas (schemas.ts), which no start needs.
 */
/** Ids go into URL paths: letters, digits, '-' and '_' only, so nothing can traverse into another endpoint. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Model ids are paths (kling/kling-video-o1/image-to-video): segments that cannot be "." or "..", so none climbs out of /v1/models/. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,9}$/;
