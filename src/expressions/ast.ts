/**
 * @module expressions/ast
 * The jq abstract syntax tree produced by the parser. Every node carries `pos`, the absolute offset
 * of its first character in the expression source, for error messages.
 */

/** Assignment operators: `=`, `|=` and the arithmetic update-assignments. */
export type AssignOp = '=' | '|=' | '+=' | '-=' | '*=' | '/=' | '%=' | '//=';
/** Binary arithmetic and comparison operators. */
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A destructuring pattern (`$x`, `[$a, $b]`, `{a: $x, $y, (expr): $z}`). */
export type Pattern =
  | { readonly kind: 'PVar'; readonly name: string; readonly pos: number }
  | { readonly kind: 'PArray'; readonly items: readonly Pattern[]; readonly pos: number }
  | { readonly kind: 'PObject'; readonly entries: readonly PObjectEntry[]; readonly pos: number };

/** One `key: pattern` of an object pattern; `bindVar` is set for `$name` / `$name: pattern` keys. */
export interface PObjectEntry {
  readonly key: Node;
  readonly bindVar?: string;
  readonly pattern?: Pattern;
}

/** One entry of an object construction; `value` undefined means the `{a}` shorthand was resolved already. */
export interface ObjectEntry {
  readonly key: Node;
  readonly value: Node;
}

/** A parameter of `def`: a filter parameter `f` or a value parameter `$f`. */
export interface Param {
  readonly name: string;
  readonly isVar: boolean;
}

/** A jq AST node. */
export type Node =
  | { readonly kind: 'Identity'; readonly pos: number }
  | { readonly kind: 'RecurseAll'; readonly pos: number }
  | { readonly kind: 'Literal'; readonly value: unknown; readonly pos: number }
  | { readonly kind: 'Str'; readonly parts: readonly (string | Node)[]; readonly format: string | undefined; readonly pos: number }
  | { readonly kind: 'Format'; readonly name: string; readonly pos: number }
  | { readonly kind: 'Index'; readonly target: Node; readonly index: Node; readonly optional?: boolean; readonly pos: number }
  | {
      readonly kind: 'Slice';
      readonly target: Node;
      readonly from: Node | undefined;
      readonly to: Node | undefined;
      readonly optional?: boolean;
      readonly pos: number;
    }
  | { readonly kind: 'Iterate'; readonly target: Node; readonly optional?: boolean; readonly pos: number }
  | { readonly kind: 'Try'; readonly body: Node; readonly handler: Node | undefined; readonly pos: number }
  | { readonly kind: 'Array'; readonly body: Node | undefined; readonly pos: number }
  | { readonly kind: 'Object'; readonly entries: readonly ObjectEntry[]; readonly pos: number }
  | { readonly kind: 'Neg'; readonly operand: Node; readonly pos: number }
  | { readonly kind: 'Pipe'; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'Comma'; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'Alt'; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'And'; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'Or'; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'Binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'Assign'; readonly op: AssignOp; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: 'If'; readonly cond: Node; readonly then: Node; readonly otherwise: Node | undefined; readonly pos: number }
  | { readonly kind: 'Reduce'; readonly source: Node; readonly pattern: Pattern; readonly init: Node; readonly update: Node; readonly pos: number }
  | {
      readonly kind: 'Foreach';
      readonly source: Node;
      readonly pattern: Pattern;
      readonly init: Node;
      readonly update: Node;
      readonly extract: Node | undefined;
      readonly pos: number;
    }
  | { readonly kind: 'FuncDef'; readonly name: string; readonly params: readonly Param[]; readonly body: Node; readonly rest: Node; readonly pos: number }
  | { readonly kind: 'Call'; readonly name: string; readonly args: readonly Node[]; readonly pos: number }
  | { readonly kind: 'Var'; readonly name: string; readonly pos: number }
  | { readonly kind: 'Loc'; readonly line: number; readonly pos: number }
  | { readonly kind: 'As'; readonly source: Node; readonly patterns: readonly Pattern[]; readonly body: Node; readonly pos: number }
  | { readonly kind: 'Label'; readonly name: string; readonly body: Node; readonly pos: number }
  | { readonly kind: 'Break'; readonly name: string; readonly pos: number };

/** The `kind` strings of {@link Node}. */
export type NodeKind = Node['kind'];
