// The syntax stage: Julia source text -> AST with exact spans (plus parse diagnostics).
export type * from "./ast.js";
export { parseJulia, type ParseResult } from "./parser.js";
export { tokenize, type Token, type TokenKind, type StringPart } from "./lexer.js";
export { sexpr, sexprFile } from "./sexpr.js";
