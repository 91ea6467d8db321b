/**
 * @module definition/profiles/folder-profile
 * A definitions folder declares its profile in a `swirl.yaml` holding `profile: sonataflow`
 * (specs/sonataflow-profile.md "Choosing the profile"). The nearest such file wins: from a
 * definition's folder upward, up to and including the first folder that is the boundary (the
 * working directory) or holds `.git`, else the filesystem root. Only the `profile:` key is read
 * here; the other keys of a swirl.yaml belong to `swirl serve`'s configuration. A profile given on
 * the command line is not this module's business: callers do not ask then.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DiagnosticCode, Severity, type Diagnostic } from '../diagnostic.js';
import { parseDocument } from '../parse.js';
import { isObject } from '../walk.js';
import { PROFILES, Profile, parseProfile } from './profile.js';

/** The file a folder declares its profile in (the name `swirl serve` reads its configuration from). */
export const FOLDER_PROFILE_FILE = 'swirl.yaml';

/** A folder file larger than this is refused (it holds one key). */
const MAX_FOLDER_FILE = 64 * 1024;

/** What a folder file says: a profile, nothing (no `profile:` key), or why it is unusable. */
type FolderEntry = { profile: Profile; file: string } | { diagnostic: Diagnostic } | undefined;

/** The profile of a definition: from its folder file, or the diagnostic of a broken one. */
export type FolderProfile = { profile: Profile; file: string } | { diagnostic: Diagnostic } | undefined;

/** Looks folder profiles up, reading each folder's file once. */
export class FolderProfiles {
  private readonly entries = new Map<string, Promise<FolderEntry>>();
  private readonly boundary: string;
  private readonly ignored: string | undefined;

  /**
   * @param boundary the lookup stops at this folder (inclusive). @default the working directory
   * @param ignore a swirl.yaml not read as a folder file: the one configuring `swirl serve`, whose
   *   `profile:` (after its environment) is the caller's default already.
   */
  constructor(boundary: string = process.cwd(), ignore?: string) {
    this.boundary = resolve(boundary);
    this.ignored = ignore === undefined ? undefined : resolve(ignore);
  }

  /** The nearest folder file's profile for the definition at `file`; undefined when none declares one. */
  async of(file: string): Promise<FolderProfile> {
    let dir = dirname(resolve(file));
    for (;;) {
      const entry = await this.entry(dir);
      if (entry !== undefined) return entry;
      const parent = dirname(dir);
      if (dir === this.boundary || parent === dir || existsSync(join(dir, '.git'))) return undefined;
      dir = parent;
    }
  }

  private entry(dir: string): Promise<FolderEntry> {
    let e = this.entries.get(dir);
    if (e === undefined) {
      const path = join(dir, FOLDER_PROFILE_FILE);
      e = path === this.ignored ? Promise.resolve(undefined) : readEntry(path);
      this.entries.set(dir, e);
    }
    return e;
  }
}

async function readEntry(path: string): Promise<FolderEntry> {
  if (!existsSync(path)) return undefined;
  const display = path;
  const text = await readFile(path, 'utf8').catch((err: Error) => err);
  if (text instanceof Error) return { diagnostic: problem(display, 1, 1, `cannot read the folder's profile file: ${text.message}`) };
  if (text.length > MAX_FOLDER_FILE) return { diagnostic: problem(display, 1, 1, `the folder's profile file is ${text.length} characters long; at most ${MAX_FOLDER_FILE} are read`) };
  const parsed = parseDocument(text, path);
  if (!parsed.ok) return { diagnostic: { ...parsed.diagnostic, code: DiagnosticCode.InvalidProfile } };
  const value = parsed.document.value;
  if (!isObject(value) || !('profile' in value)) return undefined;
  const at = parsed.document.source.locate('/profile');
  if (typeof value.profile !== 'string') return { diagnostic: problem(display, at.line, at.column, `profile: must be a string (${PROFILES.join(' or ')})`) };
  const p = parseProfile(value.profile);
  if (!p.ok) return { diagnostic: problem(display, at.line, at.column, `profile: ${p.message} (the profile of every definition in this folder and below)`) };
  return { profile: p.profile, file: path };
}

function problem(file: string, line: number, column: number, message: string): Diagnostic {
  return { severity: Severity.Error, code: DiagnosticCode.InvalidProfile, message, file, line, column, pointer: '/profile' };
}

/**
 * How the definitions of one call get their profile: `profile` (the command line's) for every
 * one, folder files unread; otherwise the nearest folder file's, else `defaultProfile` (a serve
 * configuration's `profile:`), else standard.
 */
export interface ProfileChoice {
  profile?: Profile;
  defaultProfile?: Profile;
  /** Where folder files are looked up (shared to read each once). @default from the working directory */
  folders?: FolderProfiles;
}

/** The profile the definition at `file` is validated and run under, or the broken folder file's diagnostic. */
export async function profileOf(file: string, choice: ProfileChoice, folders: FolderProfiles): Promise<{ profile: Profile } | { diagnostic: Diagnostic }> {
  if (choice.profile !== undefined) return { profile: choice.profile };
  const found = await folders.of(file);
  if (found === undefined) return { profile: choice.defaultProfile ?? Profile.Standard };
  return 'diagnostic' in found ? found : { profile: found.profile };
}
