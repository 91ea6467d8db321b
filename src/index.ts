/**
 * @module swirl
 * The public door: everything users, `api/` and `cli/` may use. Sections follow the pipeline.
 */

// ── errors ──────────────────────────────────────────────────────────────────────────────────────
export { SwirlError, DefinitionError, WorkflowError, InfrastructureError, NonDeterminismError, InvalidInputError } from './errors.js';
export type { WorkflowErrorData } from './errors.js';

// ── definitions and validation (src/definition) ────────────────────────────────────────────────
export { FOLDER_PROFILE_FILE, FolderProfiles, profileOf, type ProfileChoice, type FolderProfile } from './definition/profiles/folder-profile.js';
export { validateText, validateFile, validateFiles, findDefinitionFiles, findDefinitionCandidates, type SkippedFile } from './definition/validate.js';
export type { ValidationResult, ValidateOptions } from './definition/validate.js';
export { Profile, PROFILES, parseProfile } from './definition/profiles/profile.js';
export { normalizeSonataflow } from './definition/profiles/sonataflow/normalize.js';
export { migrateSonataflow } from './definition/profiles/sonataflow/migrate.js';
export type { Migration, GeneratedFile } from './definition/profiles/sonataflow/migrate.js';
export type { NormalizeResult, NormalizeOptions } from './definition/profiles/sonataflow/normalize.js';
export type { MigrationNote } from './definition/profiles/sonataflow/findings.js';
export type { SonataflowRuntime } from './definition/profiles/sonataflow/runtime.js';
export { DiagnosticCode, Severity, formatDiagnostic, hasErrors } from './definition/diagnostic.js';
export type { Diagnostic } from './definition/diagnostic.js';
export { parseDuration } from './definition/duration.js';
export { alwaysExpression } from './definition/expression-sites.js';
export { parseDocument } from './definition/parse.js';
export type { ParsedDocument, ParseResult } from './definition/parse.js';
export { didYouMean } from './definition/suggest.js';
export type * as Definition from './definition/types.js';
export type { Workflow } from './definition/types.js';

// ── graph (src/graph) ───────────────────────────────────────────────────────────────────────────
export { compileWorkflow, definitionHash } from './graph/compile.js';
export { loadWorkflow, loadWorkflowText } from './graph/load.js';
export { renderMermaid } from './graph/render-mermaid.js';
export { layoutDiagram } from './graph/diagram/layout.js';
export { renderSvg } from './graph/diagram/svg.js';
export { DiagramNodeKind, EndKind } from './graph/diagram/types.js';
export type { Diagram, DiagramNode, DiagramEdge } from './graph/diagram/types.js';
export { inputProblems, formatInputProblems } from './graph/input.js';
export type { InputProblem } from './graph/input.js';
export { EdgeKind } from './graph/types.js';
export type { WorkflowGraph, StateNode, Edge, CompiledEnd, RetryPolicy, StateTimeouts, WorkflowTimeouts } from './graph/types.js';

// ── interpreter (src/interpreter) ─────────────────────────────────────────────────────────────
export { registerWorkflow, secretsReady, mergeData, retryDelay, nextScheduleTimes } from './interpreter/index.js';
export type { InterpreterOptions } from './interpreter/index.js';
export { timelineItems, currentStates } from './interpreter/index.js';
export type { TimelineItem, CurrentState, Wait as CurrentStateWait, TimelineEntry } from './interpreter/index.js';
export { createRestCaller } from './components/rest/index.js';
export type { RestCaller, RestCall } from './components/rest/index.js';

// ── expressions (src/expressions) ─────────────────────────────────────────────────────────────
export { compileExpression, initExpressions, expressionStats, setExpressionLogger, ExpressionError, ExpressionErrorCode, DEFAULT_EXPRESSION_LIMITS, expressionLimits, setExpressionLimits } from './expressions/index.js';
export type { CompiledExpression, CompileOptions, ExpressionLimits, ExpressionLogEvent, SourcePosition } from './expressions/index.js';

// ── engine and stores (src/engine, src/store) ──────────────────────────────────────────────────
export { createEngine, Engine } from './engine/engine.js';
export type { EngineStats, EngineHealth, QueuedWork } from './engine/engine.js';
export { EngineClient } from './engine/client.js';
export type { StartOptions, InstanceMetadata, InstanceFilter, InstanceList, InstanceCountRow, ListPage, UnservedWork } from './engine/client.js';
export type { InstanceInspection, InspectionNote, EngineWait } from './engine/inspect.js';
export { ENGINE_DEFAULTS, withDefaults as engineOptionsWithDefaults } from './engine/options.js';
export type { EngineOptions, CompiledEngineOptions } from './engine/options.js';
export { ManualClock, systemClock } from './engine/clock.js';
export type { Clock } from './engine/clock.js';
export { LogEvent, noopLogger } from './engine/logger.js';
export type { Logger, LogMeta } from './engine/logger.js';
export { EngineErrorCode } from './engine/error-codes.js';
export { INSTANCE_ID_PATTERN } from './engine/validation.js';
export { ENGINE_VERSION, EventType } from './engine/history.js';
export type { HistoryEvent, FailureDetails, ParentInstance } from './engine/history.js';
export type { ActivityContext, ActivityFunction, OrchestrationRegistration } from './engine/registry.js';
export type {
  OrchestrationContext,
  OrchestrationFunction,
  PlainOrchestrationFunction,
  CallActivityOptions,
  CallSubOrchestratorOptions,
  ContinueAsNewOptions,
} from './engine/replay/context.js';
export { Task, TaskFailedError } from './engine/replay/task.js';
export type { RetryPolicy as TaskRetryPolicy } from './engine/replay/retry-policy.js';
export { execute as executeOrchestration } from './engine/replay/execute.js';
export type { ExecuteResult } from './engine/replay/execute.js';
export type { OrchestratorAction } from './engine/replay/actions.js';
export { openStore, MemoryStore, RuntimeStatus, ReusePolicy, StoreErrorCode, TERMINAL_STATUSES, isTerminalStatus } from './store/index.js';
export type { Store, StoreUrl, InstanceRecord, HistoryRecord, InstanceQuery, InstancePage, InstanceCountQuery, InstanceCount } from './store/index.js';

// ── api/host (src/host, src/api) ─────────────────────────────────────────────────────────────
// host/ wires the layers into a running server; api/ is the HTTP shell over it. Both import the
// layers they use directly: nothing inside src/ (but cli/, a consumer) imports this file.
export { createHost, SwirlHost } from './host/host.js';
export type { HostMetrics } from './host/host.js';
export type { HostOptions } from './host/host-options.js';
export { otlpProtocolProblem, otlpTracing, tracingRequested } from './host/tracing/otlp.js';
export type { TracingOptions } from './host/tracing/otel-tracer.js';
export type { WorkflowInfo, CatalogLoadReport } from './host/catalog.js';
export type { EventOutcome } from './host/event-router.js';
export type { DedupedOutcome, EventDedupOptions } from './host/event-dedup.js';
export { correlatedInstanceId } from './host/event-router.js';
export { scheduledInstanceId } from './host/scheduler.js';
export { STORE_LATENCY_BUCKETS, LatencyRecorder } from './host/latency.js';
export type { StoreTimings, OperationTiming } from './host/latency.js';
export type { CloudEventJson, ComponentHost, ComponentSummary } from './components/index.js';
export { createApp } from './api/app.js';
export { createMetricsApp } from './api/metrics.js';
export type { App, AppOptions } from './api/app.js';
export { startServer } from './api/server.js';
export type { RunningServer } from './api/server.js';
export { startGrpcServer } from './grpc/index.js';
export type { GrpcServerOptions, RunningGrpcServer } from './grpc/index.js';

export { VERSION } from './version.js';
