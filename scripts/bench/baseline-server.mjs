// The yardstick for cold start: a minimal MCP SDK server with four trivial tools.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'baseline', version: '1.0.0' });
for (const name of ['one', 'two', 'three', 'four']) {
  server.registerTool(name, { description: `trivial tool ${name}`, inputSchema: { text: z.string() } }, ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
}
await server.connect(new StdioServerTransport());
