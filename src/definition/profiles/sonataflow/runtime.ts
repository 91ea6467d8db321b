/**
 * @module definition/profiles/sonataflow/runtime
 * What the sonataflow profile hands from validation to the interpreter: the behaviour of functions
 * that standard 0.8 has no words for (sysout logging, `rest:` calls) and the OpenAPI base URLs read
 * from application.properties. Plain JSON, so it can be hashed with the definition.
 */

/** sysout levels (SonataFlow: TRACE, DEBUG, INFO, WARN, ERROR; INFO when absent). */
export const SysoutLevel = { Trace: 'TRACE', Debug: 'DEBUG', Info: 'INFO', Warn: 'WARN', Error: 'ERROR' } as const;
export type SysoutLevel = (typeof SysoutLevel)[keyof typeof SysoutLevel];

/** One `rest:<verb>:<url-or-path>` custom function, its URL made absolute. */
export interface RestShortcut {
  /** Upper-case HTTP method: GET, POST, PUT, PATCH, DELETE. */
  method: string;
  /** Absolute URL template; `{name}` segments are filled from the arguments of the same name. */
  url: string;
}

/** The profile's runtime data, carried by the compiled graph (graph.profile). */
export interface SonataflowRuntime {
  name: 'sonataflow';
  /** sysout functions by name → level. */
  sysout: Record<string, SysoutLevel>;
  /** rest: custom functions by name. */
  rest: Record<string, RestShortcut>;
  /** rest (OpenAPI) functions whose base URL application.properties sets, by function name → URL. */
  servers: Record<string, string>;
}

/** Runtime data of a profile (only sonataflow has any). */
export type ProfileRuntime = SonataflowRuntime;
