/**
 * @module optional-module
 * Loading a heavy package on first use rather than at start-up (issue 12: `swirl serve` ready in
 * ≤ 0.5 s of CPU). A dynamic `import()` that fails because the package (or a file of it) is missing
 * becomes one clear message naming the package and the feature that needed it, not a bare
 * ERR_MODULE_NOT_FOUND from deep inside Node's loader.
 */
import { SwirlError } from './errors.js';

/** The code of the error thrown when a package needed by a feature cannot be loaded. */
export const MODULE_MISSING = 'MODULE_MISSING';

const MISSING_CODES: ReadonlySet<string> = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);

/**
 * Runs `load` (a literal `() => import('pkg')`, so types flow) and returns its module. `pkg` and
 * `feature` name what was missing and why it was needed: "cannot load the package 'mqtt', needed for
 * pubsub.mqtt3 components: …". Errors other than a missing module (a package that throws while it
 * initialises) pass through unchanged.
 */
export async function loadOnUse<T>(load: () => Promise<T>, pkg: string, feature: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !MISSING_CODES.has(code)) throw err;
    throw new SwirlError(
      MODULE_MISSING,
      `cannot load the package '${pkg}', needed for ${feature}: ${(err as Error).message.split('\n')[0]} (reinstall Swirl with its dependencies: npm install)`,
      { cause: err },
    );
  }
}
