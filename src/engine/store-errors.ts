/**
 * @module engine/store-errors
 * Classifies what a store call throws: a backend that lets a raw error escape (a driver error, an
 * I/O error) is still the store's fault, so the engine sees an InfrastructureError — retried,
 * never counted towards failing an instance — while the store's own codes (LEASE_LOST …) pass.
 */
import { InfrastructureError, SwirlError } from '../errors.js';
import { StoreFaultCode } from '../store/types.js';

function wrap<T>(p: Promise<T>, code: StoreFaultCode, what: string): Promise<T> {
  return p.catch((e: unknown) => {
    if (e instanceof SwirlError) throw e;
    throw new InfrastructureError(code, `store ${what} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  });
}

/** A read: anything but a SwirlError becomes InfrastructureError STORE_READ_FAILED. */
export function asReadError<T>(p: Promise<T>, what: string): Promise<T> {
  return wrap(p, StoreFaultCode.STORE_READ_FAILED, what);
}

/**
 * A write: anything but a SwirlError becomes InfrastructureError WRITE_OUTCOME_UNKNOWN — an
 * error the backend did not classify says nothing about whether the write was committed.
 */
export function asWriteError<T>(p: Promise<T>, what: string): Promise<T> {
  return wrap(p, StoreFaultCode.WRITE_OUTCOME_UNKNOWN, what);
}

/**
 * Rethrows what a management write (start, raise event …) threw. An outcome the store could not
 * tell (WRITE_OUTCOME_UNKNOWN, or an error it did not classify) stays WRITE_OUTCOME_UNKNOWN, with
 * a message that says so and how to retry safely, and the instance id attached: reporting it as
 * failed would make a client retry without the id and create a duplicate.
 * @param what e.g. "the start of instance 'x'"
 * @param retry e.g. "retry with the same instance id 'x'"
 */
export function rethrowWrite(e: unknown, what: string, retry: string, instanceId: string): never {
  if (e instanceof SwirlError && e.code !== StoreFaultCode.WRITE_OUTCOME_UNKNOWN) throw e;
  const cause = e instanceof Error ? e.message : String(e);
  const err = new InfrastructureError(StoreFaultCode.WRITE_OUTCOME_UNKNOWN, `${what} may have been recorded (${cause}): ${retry}`, { cause: e });
  throw Object.assign(err, { instanceId });
}
