/**
 * @module engine/replay/actions
 * What an orchestration turn decides: the actions (durabletask-notes §1.6). Each carries the
 * sequence id that the matching history event will carry as its eventId.
 */

import type { FailureDetails, EventRaisedEvent } from '../history.js';

/** Kinds of actions (const-object enum). */
export const ActionType = {
  ScheduleTask: 'ScheduleTask',
  CreateTimer: 'CreateTimer',
  CreateSubOrchestration: 'CreateSubOrchestration',
  SendEvent: 'SendEvent',
  CompleteOrchestration: 'CompleteOrchestration',
} as const;
export type ActionType = (typeof ActionType)[keyof typeof ActionType];

export interface ScheduleTaskAction {
  type: 'ScheduleTask';
  id: number;
  name: string;
  input?: string;
  attempt: number;
  logicalTaskId: number;
  /** Fire-and-forget (CallActivityOptions.detached): the task outlives the orchestration. */
  detached?: boolean;
  /** Trace context handed to the activity (task row only, never history). */
  traceparent?: string;
}
export interface CreateTimerAction {
  type: 'CreateTimer';
  id: number;
  fireAt: number;
}
export interface CreateSubOrchestrationAction {
  type: 'CreateSubOrchestration';
  id: number;
  name: string;
  instanceId: string;
  input?: string;
  /** Trace context recorded in the child's ExecutionStarted (CallSubOrchestratorOptions.traceparent). */
  traceparent?: string;
}
export interface SendEventAction {
  type: 'SendEvent';
  id: number;
  instanceId: string;
  name: string;
  input?: string;
}
/** The end of an execution: completed, failed, or continued as new. (Termination is an event, not an action.) */
export interface CompleteOrchestrationAction {
  type: 'CompleteOrchestration';
  id: number;
  status: 'COMPLETED' | 'FAILED' | 'CONTINUED_AS_NEW';
  result?: string;
  failure?: FailureDetails;
  /** CONTINUED_AS_NEW: external events received but not consumed, to replay into the new execution. */
  carryoverEvents?: EventRaisedEvent[];
}

export type OrchestratorAction =
  | ScheduleTaskAction
  | CreateTimerAction
  | CreateSubOrchestrationAction
  | SendEventAction
  | CompleteOrchestrationAction;
