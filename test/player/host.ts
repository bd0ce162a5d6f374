/**
 * A minimal MCP Apps host for the browser test: it puts the player in a sandboxed
 * iframe and bridges it with ext-apps' AppBridge. Tool calls and resource reads
 * from the page go to the real server through functions the test exposes
 * (page.exposeFunction), which call it over stdio.
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';
import type { CallToolRequest, CallToolResult, ReadResourceRequest, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';

declare global {
  interface Window {
    hostCallTool(params: CallToolRequest['params']): Promise<CallToolResult>;
    hostReadResource(params: ReadResourceRequest['params']): Promise<ReadResourceResult>;
    /** Resolves once the player has initialized. */
    playerReady: Promise<void>;
    showResult(result: CallToolResult): Promise<void>;
    setTheme(theme: 'light' | 'dark'): void;
  }
}

const frame = document.getElementById('player') as HTMLIFrameElement;
const context = { displayMode: 'inline', platform: 'web', containerDimensions: { width: window.innerWidth, maxHeight: 4000 } } as const;
const bridge = new AppBridge(
  null,
  { name: 'player-test-host', version: '1.0.0' },
  { serverTools: {}, serverResources: {} },
  { hostContext: { ...context, theme: 'light' } },
);
bridge.oncalltool = (params) => window.hostCallTool(params);
bridge.onreadresource = (params) => window.hostReadResource(params);
bridge.onsizechange = ({ height }) => {
  if (height !== undefined) frame.style.height = `${height}px`;
};
window.playerReady = new Promise((ready) => (bridge.oninitialized = () => ready()));
window.showResult = (result) => bridge.sendToolResult(result);
window.setTheme = (theme) => bridge.setHostContext({ ...context, theme });
void bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
frame.src = '/player.html';
