/**
 * Prints every tool's schemas as tools/list gives them, as JSON by tool name: scripts/bundle-server.mjs builds them
 * into the bin (src/tools/bundled-schemas.ts), so a start converts none.
 */
import { TOOLS } from '../src/tools/index.js';
import { toolSchemaJson, toolSchemas } from '../src/tools/listing.js';

process.stdout.write(JSON.stringify(toolSchemaJson(toolSchemas(TOOLS))));
