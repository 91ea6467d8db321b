/**
 * @module definition/profiles/sonataflow/functions
 * SonataFlow's function kinds under the profile (specs/sonataflow-profile.md "Functions"):
 * `sysout[:LEVEL]` logs, `rest:<verb>:<url-or-path>` calls a URL, `knative:<service>` becomes a
 * service invocation (`invoke:`), `classpath:` OpenAPI documents resolve against the resources
 * folder, OpenAPI base URLs come from application.properties, and Java/Python/Camel functions
 * get one error each with the rewrite to use instead.
 */
import { relative } from 'node:path';
import { DiagnosticCode, Severity } from '../../diagnostic.js';
import { joinPointer } from '../../json-pointer.js';
import { isObject } from '../../walk.js';
import { configKey, type ProjectProperties } from './properties.js';
import type { Findings } from './findings.js';
import { SysoutLevel, type SonataflowRuntime } from './runtime.js';

type Obj = Record<string, unknown>;

/** Where the document lives and what configures it. */
export interface ProjectContext {
  /** The workflow file's folder; undefined for text without a location (HTTP API). */
  dir?: string;
  /** `src/main/resources` of the project, when found. */
  resources?: string;
  /** application.properties values, with environment overrides and `${…}` expansion (empty when there is none). */
  properties: Pick<ProjectProperties, 'get'>;
  /** The workflow id (for the FUNCTION_NAME configuration-key strategy). */
  workflowId?: string;
}

const SYSOUT = /^sysout(?::([A-Za-z]*))?$/;
const REST = /^rest:(get|post|put|patch|delete):(\S+)$/i;
const KNATIVE = /^knative:(\S+)$/;
/** Function kinds that need SonataFlow's JVM (or its Python/Camel add-ons). */
const JVM_ONLY = /^(service|script|camel|python|workitem|java):/i;

/** Default host and port of a `rest:` function given as a path: SonataFlow calls its own HTTP server. */
const DEFAULT_HOST = 'localhost';
const DEFAULT_PORT = '8080';

/**
 * Rewrites the inline function definitions of `doc` in place and fills `runtime`. Returns the
 * names of functions whose actions `swirl migrate` must drop (sysout) — empty in profile mode.
 */
export function normalizeFunctions(doc: Obj, project: ProjectContext, runtime: SonataflowRuntime, f: Findings, migrate: boolean): Set<string> {
  const dropped = new Set<string>();
  if (!Array.isArray(doc.functions)) return dropped;
  doc.functions.forEach((fn, i) => {
    if (!isObject(fn) || typeof fn.name !== 'string' || typeof fn.operation !== 'string') return;
    const pointer = joinPointer('/functions', i);
    const opPointer = joinPointer(pointer, 'operation');
    const op = fn.operation.trim();
    const label = `function '${fn.name}'`;
    if (fn.type === 'custom') {
      const sysout = SYSOUT.exec(op);
      if (sysout) {
        const level = (sysout[1] || 'INFO').toUpperCase();
        if (!(Object.values(SysoutLevel) as string[]).includes(level)) {
          f.add(Severity.Error, DiagnosticCode.InvalidOperation, opPointer, `${label}: sysout level '${sysout[1]}' is not one of ${Object.values(SysoutLevel).join(', ')}`, "e.g. 'sysout:INFO'");
        }
        runtime.sysout[fn.name] = (Object.values(SysoutLevel) as string[]).includes(level) ? (level as SysoutLevel) : SysoutLevel.Info;
        f.suppress(opPointer, DiagnosticCode.InvalidOperation);
        if (migrate) {
          dropped.add(fn.name);
          f.unconverted.push({ pointer, message: `${label} (sysout) logs only; standard 0.8 has no logging function, so it and the actions calling it were removed` });
        }
        return;
      }
      const rest = REST.exec(op);
      if (rest) {
        const url = restUrl(fn.name, rest[2], project);
        f.suppress(opPointer, DiagnosticCode.InvalidOperation);
        if (!URL.canParse(url.replace(/\{[^}/]+\}/g, 'p'))) {
          const fromProperties = !/^https?:\/\//i.test(rest[2]);
          const why = `${label}: '${url}' is not a valid URL${fromProperties ? ` (host and port from kogito.sw.functions.${fn.name}.host / .port)` : ''}`;
          f.add(Severity.Error, fromProperties ? DiagnosticCode.ApplicationProperties : DiagnosticCode.InvalidOperation, opPointer, why, "e.g. 'rest:post:http://localhost:8080/numbers/{id}'");
          f.unconverted.push({ pointer: opPointer, message: why });
          return;
        }
        runtime.rest[fn.name] = { method: rest[1].toUpperCase(), url };
        return;
      }
      const knative = KNATIVE.exec(op);
      if (knative) {
        // A broken one gets the profile's own message, not the standard 'unknown custom operation'.
        f.suppress(opPointer, DiagnosticCode.InvalidOperation);
        normalizeKnative(fn, knative[1], opPointer, label, f);
        return;
      }
      const jvm = JVM_ONLY.exec(op);
      if (jvm) {
        f.suppress(opPointer, DiagnosticCode.InvalidOperation);
        f.add(Severity.Error, DiagnosticCode.SonataflowOnlyFunction, opPointer, `${label}: ${jvmKind(jvm[1], op)} cannot run outside SonataFlow; expose it over HTTP and call it with a rest function`, jvmRewrite(fn.name));
        f.unconverted.push({ pointer, message: `${label} ('${op}') runs in SonataFlow's JVM; expose it over HTTP and use a rest function` });
        return;
      }
      return; // Swirl's own custom operations, checked by the standard checks
    }
    if (fn.type === undefined || fn.type === 'rest') normalizeOpenApi(fn, opPointer, label, project, runtime, f);
  });
  return dropped;
}

function jvmKind(kind: string, op: string): string {
  switch (kind.toLowerCase()) {
    case 'service':
    case 'java':
      return op.toLowerCase().startsWith('service:python') ? `a Python service call ('${op}')` : `a Java service call ('${op}')`;
    case 'script':
    case 'python':
      return `a script ('${op}')`;
    case 'camel':
      return `a Camel route ('${op}')`;
    default:
      return `a work item handler ('${op}')`;
  }
}

/** The exact rewrite a user can paste in place of a JVM-only function. */
function jvmRewrite(name: string): string {
  return `replace it by { "name": "${name}", "type": "custom", "operation": "rest:post:http://<host>:<port>/<path>" } (arguments become the JSON body; {name} path segments are filled from the arguments), or by an OpenAPI function { "name": "${name}", "operation": "<openapi.yaml>#<operationId>" }`;
}

/**
 * `rest:` targets: an absolute URL as written; a path is joined to
 * `kogito.sw.functions.<name>.host` / `.port` (SonataFlow's settings; default localhost:8080).
 */
function restUrl(name: string, target: string, project: ProjectContext): string {
  if (/^https?:\/\//i.test(target)) return target;
  const host = project.properties.get(`kogito.sw.functions.${name}.host`) ?? DEFAULT_HOST;
  const port = project.properties.get(`kogito.sw.functions.${name}.port`) ?? DEFAULT_PORT;
  return `http://${host}:${port}${target.startsWith('/') ? '' : '/'}${target}`;
}

/**
 * `knative:services.v1.serving.knative.dev/[<namespace>/]<service>?path=/x` (or `knative:<service>?path=/x`)
 * → `invoke:<service>/x`, the verb from `method=` or metadata `method` (POST by default, as SonataFlow).
 */
function normalizeKnative(fn: Obj, target: string, opPointer: string, label: string, f: Findings): void {
  const [ref, query = ''] = target.split('?', 2);
  const params = new URLSearchParams(query);
  const segments = ref.replace(/^services\.v1\.serving\.knative\.dev\//, '').split('/').filter((s) => s !== '');
  const service = segments[segments.length - 1];
  const path = (params.get('path') ?? '').replace(/^\/+/, '');
  if (!service || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(service)) {
    f.add(Severity.Error, DiagnosticCode.InvalidOperation, opPointer, `${label}: '${String(fn.operation)}' names no Knative service`, "e.g. 'knative:services.v1.serving.knative.dev/my-service?path=/echo'");
    return;
  }
  if (path === '') {
    f.add(Severity.Error, DiagnosticCode.InvalidOperation, opPointer, `${label}: '${String(fn.operation)}' has no '?path=': Swirl invokes a method of the service and needs its path`, `e.g. 'knative:services.v1.serving.knative.dev/${service}?path=/'`);
    return;
  }
  const meta = isObject(fn.metadata) ? fn.metadata : {};
  const verb = (params.get('method') ?? (typeof meta.method === 'string' ? meta.method : undefined))?.toUpperCase();
  const { method: _m, ...rest } = meta;
  fn.operation = `invoke:${service}/${path}`;
  fn.metadata = { ...rest, ...(verb && verb !== 'POST' ? { httpVerb: verb } : {}) };
  if (Object.keys(fn.metadata as Obj).length === 0) delete fn.metadata;
  f.converted.push({ pointer: opPointer, message: `${label}: Knative service '${service}' is called by service invocation '${String(fn.operation)}' (app id = the service name)` });
}

/** `classpath:` OpenAPI documents and the base URLs of application.properties. */
function normalizeOpenApi(fn: Obj, opPointer: string, label: string, project: ProjectContext, runtime: SonataflowRuntime, f: Findings): void {
  let op = String(fn.operation);
  const hash = op.lastIndexOf('#');
  if (hash <= 0) return;
  let uri = op.slice(0, hash);
  if (uri.startsWith('classpath:')) {
    const inResources = uri.slice('classpath:'.length).replace(/^\/+/, '');
    if (!project.resources || !project.dir) {
      f.add(Severity.Error, DiagnosticCode.FileNotFound, opPointer, `${label}: '${uri}' needs the project's src/main/resources folder, and none was found above ${project.dir ?? 'a definition without a location'}`, 'put the workflow inside a SonataFlow project, or write a path relative to the workflow');
      // The standard check's 'no such file' for the unresolved reference says less, about the same problem.
      f.suppress(opPointer, DiagnosticCode.FileNotFound);
      return;
    }
    const rel = relative(project.dir, `${project.resources}/${inResources}`) || inResources;
    uri = rel.startsWith('.') || rel.startsWith('/') ? rel : `./${rel}`;
    op = `${uri}${op.slice(hash)}`;
    fn.operation = op;
    f.converted.push({ pointer: opPointer, message: `${label}: 'classpath:${inResources}' resolved to '${uri}'` });
  }
  const key = openApiConfigKey(String(fn.name), uri, project, f, opPointer);
  const url = key === undefined ? undefined : project.properties.get(`quarkus.rest-client.${key}.url`);
  if (url !== undefined) {
    if (!/^https?:\/\//i.test(url)) {
      f.add(Severity.Error, DiagnosticCode.ApplicationProperties, opPointer, `${label}: quarkus.rest-client.${key}.url is '${url}', not an http(s) URL`);
      // The base URL was meant to come from here: that the document has none is the same problem.
      f.suppress(opPointer, DiagnosticCode.OpenApiNoServer);
      return;
    }
    runtime.servers[String(fn.name)] = url;
    f.suppress(opPointer, DiagnosticCode.OpenApiNoServer);
    f.unconverted.push({ pointer: opPointer, message: `${label}: base URL ${url} comes from application.properties (quarkus.rest-client.${key}.url); set it as 'servers' in the OpenAPI document` });
  }
}

/** The MicroProfile configuration key SonataFlow derives (kogito.sw.operationIdStrategy, FILE_NAME by default). */
function openApiConfigKey(name: string, uri: string, project: ProjectContext, f: Findings, pointer: string): string | undefined {
  const strategy = (project.properties.get('kogito.sw.operationIdStrategy') ?? 'FILE_NAME').toUpperCase();
  switch (strategy) {
    case 'FILE_NAME':
      return configKey(uri.split(/[\\/]/).pop() ?? uri);
    case 'FULL_URI':
      return configKey((/^[a-z]+:\/\/[^/]+\/(.*)$/i.exec(uri)?.[1] ?? uri).replace(/^[./]+/, ''));
    case 'FUNCTION_NAME':
      return configKey(`${project.workflowId ?? ''}_${name}`);
    default:
      f.add(Severity.Warning, DiagnosticCode.ApplicationProperties, pointer, `kogito.sw.operationIdStrategy '${strategy}' is not supported; the base URL of '${name}' is not read from application.properties`, 'use FILE_NAME (the default), FULL_URI or FUNCTION_NAME');
      return undefined;
  }
}
