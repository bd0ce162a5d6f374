/**
 * Follows the client's MCP roots: when the client declares the roots
 * capability, its file:// roots become the folders local images may be read
 * from (plus KLING_MCP_IMAGE_DIRS), read on first need and again after each
 * notifications/roots/list_changed.
 */
import { fileURLToPath } from 'node:url';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { RootsListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AllowedFolders } from './preflight/allowed-folders.js';
import type { Logger } from './util/log.js';

const ROOTS_TIMEOUT_MS = 10_000;

/** Call once the client has initialized (its capabilities are known then). */
export function followClientRoots(server: Server, folders: AllowedFolders, log: Logger): void {
  if (!server.getClientCapabilities()?.roots) return;
  folders.useClientRoots(async () => {
    const { roots } = await server.listRoots(undefined, { timeout: ROOTS_TIMEOUT_MS });
    return roots.flatMap((root) => {
      try {
        return [fileURLToPath(root.uri)];
      } catch {
        log.warn(`ignoring the client root ${root.uri}: only file:// roots of this machine can hold local images.`);
        return [];
      }
    });
  });
  server.setNotificationHandler(RootsListChangedNotificationSchema, () => folders.rootsChanged());
}
