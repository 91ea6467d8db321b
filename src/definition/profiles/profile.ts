/**
 * @module definition/profiles/profile
 * Validation profiles: `standard` (Serverless Workflow 0.8 as written, the default, strict) and
 * `sonataflow` (SonataFlow's extensions and leniencies, specs/sonataflow-profile.md).
 */

/** The profiles a definition may be validated and run under. */
export const Profile = { Standard: 'standard', Sonataflow: 'sonataflow' } as const;
export type Profile = (typeof Profile)[keyof typeof Profile];

/** Every profile name, for option help and error messages. */
export const PROFILES: readonly Profile[] = Object.values(Profile);

/** The profile named `text`, or an error message naming the choices. */
export function parseProfile(text: string): { ok: true; profile: Profile } | { ok: false; message: string } {
  const t = text.trim().toLowerCase();
  const hit = PROFILES.find((p) => p === t);
  return hit ? { ok: true, profile: hit } : { ok: false, message: `unknown profile '${text}'; choose ${PROFILES.join(' or ')}` };
}
