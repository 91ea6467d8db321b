/**
 * @module definition/checks/concurrency
 * The counts of parallel and foreach states (spec §Parallel State, §ForEach State), which the
 * schema leaves loose and the interpreter would reject at run time: `completionType: atLeast` needs
 * `numCompleted`; `numCompleted` and `batchSize` are integers (≥ 0 and ≥ 1), numeric strings or one
 * `${ … }` expression; branch names are unique within their state.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { wholeExpression } from '../expression-sites.js';
import { joinPointer } from '../json-pointer.js';
import type { Reporter } from '../report.js';
import { arrayOrEmpty, isObject, states } from '../walk.js';
import type { CheckContext } from './context.js';

export function checkConcurrency(ctx: CheckContext): void {
  for (const { state, pointer } of states(ctx.doc)) {
    const owner = `state '${String(state.name)}'`;
    if (state.type === 'parallel') {
      if (state.completionType === 'atLeast' && state.numCompleted === undefined) {
        ctx.r.error(DiagnosticCode.MissingProperty, joinPointer(pointer, 'completionType'), `${owner}: completionType 'atLeast' needs 'numCompleted'`, {
          hint: "say how many branches must complete, e.g. 'numCompleted: 1'",
        });
      }
      checkCount(ctx.r, owner, state.numCompleted, joinPointer(pointer, 'numCompleted'), 'numCompleted', 0);
      checkBranchNames(ctx.r, owner, state.branches, joinPointer(pointer, 'branches'));
    }
    if (state.type === 'foreach') checkCount(ctx.r, owner, state.batchSize, joinPointer(pointer, 'batchSize'), 'batchSize', 1);
  }
}

/** An integer count ≥ `min`: a number, a numeric string, or one `${ … }` expression (checked elsewhere). */
function checkCount(r: Reporter, owner: string, value: unknown, pointer: string, what: string, min: number): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (wholeExpression(value)) return;
    if (!/^\s*\d+\s*$/.test(value)) {
      const looksJq = /^\s*[.$]/.test(value);
      r.error(DiagnosticCode.InvalidValue, pointer, `${owner}: ${what} '${value}' is neither a number nor a \${ } expression${looksJq ? `; did you mean '\${ ${value.trim()} }'?` : ''}`, {
        hint: `an expression in ${what} must be written as \${ … }; a bare string is read as a number`,
      });
      return;
    }
    value = Number(value);
  }
  if (typeof value === 'number' && (!Number.isInteger(value) || value < min)) {
    r.error(DiagnosticCode.InvalidValue, pointer, `${owner}: ${what} must be an integer of at least ${min}, got ${value}`, {
      hint: what === 'batchSize' ? "batchSize is how many iterations run at once; omit it to run all of them together" : undefined,
    });
  }
}

/** Branch names identify branches in logs and history; two equal names make them indistinguishable. */
function checkBranchNames(r: Reporter, owner: string, branches: unknown, base: string): void {
  const seen = new Map<string, number>();
  arrayOrEmpty(branches).forEach((b, i) => {
    if (!isObject(b) || typeof b.name !== 'string') return;
    const first = seen.get(b.name);
    if (first === undefined) seen.set(b.name, i);
    else r.error(DiagnosticCode.DuplicateDefinition, joinPointer(base, i, 'name'), `${owner}: branch name '${b.name}' is already used by branch #${first + 1}`, {
      hint: 'branch names must be unique within a parallel state',
    });
  });
}
