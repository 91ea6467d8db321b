/**
 * @module store/first-turn
 * The shape check of a create that carries its first turn (CreateInstanceRequest.firstTurn,
 * feature `fusedStart`), the same on every backend: run before anything is written, so a request
 * the backends cannot honour is refused whole.
 */
import { SwirlError } from '../errors.js';
import type { CreateInstanceRequest, TurnCommit } from './types.js';

/** Throws INVALID_ARGUMENT unless `turn` can be the first turn of `request`'s new instance. */
export function checkFirstTurn(request: CreateInstanceRequest, turn: TurnCommit): void {
  const wrong =
    turn.instanceId !== request.instanceId
      ? `it is for instance '${turn.instanceId}'`
      : turn.firstSeq !== 0
        ? `it starts at seq ${turn.firstSeq}, not 0`
        : turn.consumedMessageIds.length > 0
          ? 'it consumes inbox messages (the start message is never inserted)'
          : request.claim !== undefined
            ? 'the request asks for a claim too'
            : turn.claimless !== undefined || turn.epoch !== undefined || (turn.completedTasks?.length ?? 0) > 0
              ? 'it carries claimless, epoch or completedTasks'
              : turn.history.some((h, i) => h.seq !== i)
                ? 'its history seq is not contiguous from 0'
                : undefined;
  if (wrong !== undefined) throw new SwirlError('INVALID_ARGUMENT', `createInstance '${request.instanceId}': firstTurn cannot be the first turn: ${wrong}`);
}
