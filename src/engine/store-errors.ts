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
