/**
 * @module definition/profiles/sonataflow/jsonpath
 * `expressionLang: jsonpath` under the sonataflow profile: every expression site must be a JSONPath
 * expression (`$.order.items[0]`, `${ $.name }`), checked with the same evaluator that runs it
 * (expressions/jsonpath.ts). One diagnostic per broken site.
 */
import { compileJsonPath, ExpressionError } from '../../../expressions/index.js';
import { DiagnosticCode } from '../../diagnostic.js';
import { expressionSites } from '../../expression-sites.js';
import type { CheckContext } from '../../checks/context.js';

/** True when the document's `expressionLang` is JSONPath. */
export function isJsonPath(lang: unknown): boolean {
  return typeof lang === 'string' && lang.trim().toLowerCase() === 'jsonpath';
}

/** Checks every expression site as JSONPath. */
export function checkJsonPathExpressions(ctx: CheckContext): void {
  for (const site of expressionSites(ctx.doc)) {
    try {
      compileJsonPath(site.jq, { condition: /\/condition$/.test(site.pointer) });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      ctx.r.error(DiagnosticCode.InvalidExpression, site.pointer, `${ctx.r.ownerOf(site.pointer)}: invalid JSONPath expression '${site.text.trim()}': ${err.message}`, {
        hint: "expressionLang is jsonpath: write paths from the root, e.g. '$.order.items[0]' or '$.items[?(@.price < 10)]'",
      });
    }
  }
}
