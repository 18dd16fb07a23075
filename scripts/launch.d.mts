/** Types of launch.mjs's pure parts, for the tests (test/integration/bootstrap/launcher.test.ts). */
export declare const NODE_MAJOR: number;
export declare const STAMP_FILE: string;
export declare const NODE_PACKAGES: Readonly<Record<string, string>>;
export declare function nodePackageFor(platform: string, arch: string): string | null;
export declare function majorOf(version: string): number | null;
export declare function cacheDirFor(env: Record<string, string | undefined>, home: string): string;
export declare function nodeBinaryIn(cacheDir: string, packageName: string): string;
export declare function stampFor(lockfileText: string, platform: string, arch: string): string;
type Lockfile = {
  packages?: Record<
    string,
    { name?: string; version?: string; integrity?: string; optional?: boolean; link?: boolean }
  >;
};
export declare function installedMatchesLock(lock: Lockfile | null, installed: Lockfile | null): boolean;
export declare function installAction(state: {
  hasNodeModules: boolean;
  stamp: string | null;
  expectedStamp: string;
  installedMatches: boolean;
}): 'missing' | 'stale' | 'current' | 'adopt';
export declare function shellQuote(argument: string): string;
export declare function isSimpleCommand(command: string): boolean;
export declare function parseCommand(
  argv: string[],
):
  | { kind: 'run'; script: string; args: string[] }
  | { kind: 'setup' }
  | { kind: 'help' }
  | { kind: 'usage'; problem: string };
