/**
 * The folders local images may be read from: the roots the client lists
 * (when it has the roots capability), plus KLING_MCP_IMAGE_DIRS; the home
 * folder only when neither gives a folder (a client that declares roots but
 * lists none, as Inspector 2.12 does, confines nothing). Containment is judged on real paths
 * (symlinks resolved) and whole path segments, so /home/a never holds /home/ab.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ResolvedFolders {
  /** Real paths (symlinks resolved) to test containment against. */
  real: string[];
  /** The folders as a person reads them, with where each comes from. */
  shown: string;
}

export class AllowedFolders {
  private clientRoots: (() => Promise<string[]>) | undefined;
  private cachedRoots: Promise<string[]> | undefined;

  constructor(
    private readonly configured: readonly string[],
    private readonly home: string = os.homedir(),
  ) {}

  /** The client declared roots: from now on the folders it lists count instead of the home default, read through `list`. */
  useClientRoots(list: () => Promise<string[]>): void {
    this.clientRoots = list;
    this.cachedRoots = undefined;
  }

  /** The client said its roots changed: read them again before the next local file. */
  rootsChanged(): void {
    this.cachedRoots = undefined;
  }

  /** Reads the client's roots when needed (a failed read is not kept, so the next check asks again). */
  async resolve(): Promise<ResolvedFolders> {
    const groups: { folders: readonly string[]; from: string }[] = [];
    if (this.clientRoots) {
      this.cachedRoots ??= this.clientRoots().catch((err: unknown) => {
        this.cachedRoots = undefined;
        throw err;
      });
      groups.push({ folders: await this.cachedRoots, from: "the client's roots" });
    }
    groups.push({ folders: this.configured, from: 'KLING_MCP_IMAGE_DIRS' });
    if (groups.every((g) => g.folders.length === 0)) {
      const why = this.clientRoots ? 'the client lists no roots' : 'by default';
      groups.push({ folders: [this.home], from: `the home folder, ${why}; set KLING_MCP_IMAGE_DIRS to choose others` });
    }
    const given = groups.filter((g) => g.folders.length > 0);
    const real = await Promise.all(given.flatMap((g) => g.folders.map(realFolder)));
    return { real, shown: given.map((g) => `${g.folders.join(', ')} (${g.from})`).join('; ') };
  }
}

/** A folder's real path; one that does not exist (yet) is kept as written, and can then hold no real file. */
async function realFolder(folder: string): Promise<string> {
  try {
    return await fs.realpath(folder);
  } catch {
    return path.resolve(folder);
  }
}

/**
 * True when `file` is `folder` or lies below it. path.relative works by whole
 * segments, and on Windows ignores case and refuses other drives (an absolute result).
 */
export function isInside(folder: string, file: string, p: path.PlatformPath = path): boolean {
  const rel = p.relative(folder, file);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${p.sep}`) && !p.isAbsolute(rel));
}
