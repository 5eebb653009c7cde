// Prints the AST as an S-expression in the notation of JuliaSyntax.jl's test suite
// (`(call-i a + b)`, `(juxtapose 2 x)`, `(ref x i)` ...), so that trees can be checked against the
// reference parser's expected forms and read at a glance in test failures and debugging sessions.
// Where our tree is shaped differently (binary `+` chains are nested, keyword arguments are
// separated), the printer says so in its own notation (`(kw k v)`).

import type * as A from "./ast.js";

export function sexpr(n: A.Node): string {
  return printDeep(n);
}

/** A file's statements: a single statement prints alone, several as `(toplevel ...)`. */
export function sexprFile(body: A.Block): string {
  if (body.stmts.length === 1) return printDeep(body.stmts[0]!);
  return list("toplevel", body.stmts.map(printDeep));
}

/** Strings of the nodes printed so far by printDeep (children before their parents). */
const printed = new Map<object, string>();

/**
 * Prints `root` bottom-up: every node below it first (found with an explicit stack), then each
 * parent from its children's strings. A tree deeper than the stack (`1 + 1 + ... + 1` nests one
 * binary node per term) then prints without recursing.
 */
function printDeep(root: A.Node): string {
  const pending: unknown[] = [root];
  const topDown: object[] = [];
  const seen = new Set<object>();
  while (pending.length) {
    const v = pending.pop();
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    seen.add(v);
    if (typeof (v as { kind?: unknown }).kind === "string") topDown.push(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === "object" && x !== null) pending.push(x);
  }
  try {
    for (let k = topDown.length - 1; k >= 0; k--) {
      const n = topDown[k] as A.Node;
      printed.set(n, print(n));
    }
    return printed.get(root)!;
  } finally {
    printed.clear();
  }
}

function list(head: string, items: string[]): string {
  return items.length ? `(${head} ${items.join(" ")})` : `(${head})`;
}

function str(s: string): string {
  return JSON.stringify(s);
}

function param(p: A.Param): string {
  let s = p.pattern ? print(p.pattern) : p.name ?? "";
  if (p.type) s = p.name || p.pattern ? `(::-i ${s} ${print(p.type)})` : `(::-pre ${print(p.type)})`;
  if (p.vararg) s = `(... ${s})`;
  if (p.default) s = `(= ${s} ${print(p.default)})`;
  return s;
}

function keyword(k: A.Keyword): string {
  if (k.splat) return `(... ${print(k.value)})`;
  return `(kw ${k.name} ${print(k.value)})`;
}

function iteration(specs: { target: A.Node; iter: A.Node }[]): string {
  return list("iteration", specs.map((s) => `(in ${print(s.target)} ${print(s.iter)})`));
}

function block(b: A.Block): string {
  return list("block", b.stmts.map(print));
}

function print(n: A.Node): string {
  const done = printed.get(n);
  if (done !== undefined) return done;
  switch (n.kind) {
    case "number":
      return n.text;
    case "string": {
      const parts = n.parts.map((p) => (typeof p === "string" ? str(p) : print(p)));
      return list(n.prefix ? `string-${n.prefix}` : "string", parts.length ? parts : [str("")]);
    }
    case "char":
      return `(char ${str(n.value)})`;
    case "bool":
      return String(n.value);
    case "nothing":
      return "nothing";
    case "symbol":
      return `(quote-: ${n.name})`;
    case "ident":
      return n.name;
    case "call": {
      const items = [print(n.callee), ...n.args.map(print)];
      if (n.kwargs.length) items.push(list("parameters", n.kwargs.map(keyword)));
      if (n.doBlock) items.push(`(do ${list("tuple", n.doBlock.params.map(param))} ${print(n.doBlock.body)})`);
      return list(n.dotted ? "dotcall" : "call", items);
    }
    case "binary":
      if (n.juxtaposed) return `(juxtapose ${print(n.left)} ${print(n.right)})`;
      return `(${n.dotted ? "dotcall-i" : "call-i"} ${print(n.left)} ${n.op} ${print(n.right)})`;
    case "unary":
      if (n.op === "::") return `(::-pre ${print(n.arg)})`;
      if (n.op === "&") return `(& ${print(n.arg)})`;
      return `(${n.dotted ? "dotcall-pre" : "call-pre"} ${n.op} ${print(n.arg)})`;
    case "comparison": {
      if (n.ops.length === 1) {
        const o = n.ops[0]!;
        return `(${o.dotted ? "dotcall-i" : "call-i"} ${print(n.operands[0]!)} ${o.op} ${print(n.operands[1]!)})`;
      }
      const items: string[] = [print(n.operands[0]!)];
      n.ops.forEach((o, k) => items.push(o.dotted ? `(. ${o.op})` : o.op, print(n.operands[k + 1]!)));
      return list("comparison", items);
    }
    case "and":
      return `(&& ${print(n.left)} ${print(n.right)})`;
    case "or":
      return `(|| ${print(n.left)} ${print(n.right)})`;
    case "ternary":
      return `(? ${print(n.cond)} ${print(n.then)} ${print(n.else)})`;
    case "tuple":
      return list("tuple", n.elements.map(print));
    case "namedtuple":
      return list("namedtuple", n.fields.map((f) => (f.value.kind === "ident" && f.value.name === f.name ? f.name : `(= ${f.name} ${print(f.value)})`)));
    case "paren":
      return `(parens ${print(n.expr)})`;
    case "index":
      return list("ref", [print(n.target), ...n.indices.map(print)]);
    case "field":
      return `(. ${print(n.target)} ${n.name})`;
    case "adjoint":
      return `(call-post ${print(n.arg)} ')`;
    case "range":
      return n.step ? `(call-i ${print(n.start)} : ${print(n.step)} ${print(n.stop)})` : `(call-i ${print(n.start)} : ${print(n.stop)})`;
    case "array": {
      const prefix = n.eltype ? "typed_" : "";
      const head = [...(n.eltype ? [print(n.eltype)] : [])];
      if (n.form === "vcat") {
        const rows = n.rows.map((r) => (r.length === 1 ? print(r[0]!) : list("row", r.map(print))));
        return list(`${prefix}vcat`, [...head, ...rows]);
      }
      return list(`${prefix}${n.form}`, [...head, ...n.rows[0]!.map(print)]);
    }
    case "comprehension": {
      const parts = n.iterations.map(iteration);
      if (n.filter) parts[parts.length - 1] = `(filter ${parts[parts.length - 1]} ${print(n.filter)})`;
      const gen = list("generator", [print(n.body), ...parts]);
      if (n.generator) return gen;
      return n.eltype ? `(typed_comprehension ${print(n.eltype)} ${gen})` : `(comprehension ${gen})`;
    }
    case "lambda": {
      const ps = [...n.params.map(param)];
      if (n.kwparams.length) ps.push(list("parameters", n.kwparams.map(param)));
      return `(-> ${list("tuple", ps)} ${print(n.body)})`;
    }
    case "function": {
      if (n.noMethods) return `(function ${n.name})`;
      let callee = n.name ?? "";
      if (n.qualifier) callee = `(. ${print(n.qualifier)} ${n.name})`;
      if (n.functor) callee = `(parens ${param(n.functor)})`;
      const ps = n.params.map(param);
      if (n.kwparams.length) ps.push(list("parameters", n.kwparams.map(param)));
      let sig = list("call", [callee, ...ps]);
      if (n.returnType) sig = `(::-i ${sig} ${print(n.returnType)})`;
      if (n.whereParams.length) sig = `(where ${sig} ${n.whereParams.length === 1 ? print(n.whereParams[0]!) : list("braces", n.whereParams.map(print))})`;
      return `(${n.short ? "function-=" : "function"} ${sig} ${print(n.body)})`;
    }
    case "assign": {
      if (n.op) return `(${n.dotted ? ".op=" : "op="} ${print(n.target)} ${n.op} ${print(n.value)})`;
      return `(${n.dotted ? ".=" : "="} ${print(n.target)} ${print(n.value)})`;
    }
    case "block":
      return block(n);
    case "if": {
      // JuliaSyntax nests elseif clauses: (if a (block) (elseif b (block) (block)))
      let tail = n.else ? block(n.else) : "";
      for (let k = n.branches.length - 1; k >= 1; k--) {
        const b = n.branches[k]!;
        tail = list("elseif", [print(b.cond), block(b.body), ...(tail ? [tail] : [])]);
      }
      const b0 = n.branches[0]!;
      return list("if", [print(b0.cond), block(b0.body), ...(tail ? [tail] : [])]);
    }
    case "for":
      return `(for ${iteration(n.iterations)} ${block(n.body)})`;
    case "while":
      return `(while ${print(n.cond)} ${block(n.body)})`;
    case "return":
      return n.value ? `(return ${print(n.value)})` : "(return)";
    case "break":
      return "(break)";
    case "continue":
      return "(continue)";
    case "macrocall": {
      const name = n.qualifier ? `(. ${print(n.qualifier)} ${n.name})` : n.name;
      return list("macrocall", [name, ...n.args.map(print)]);
    }
    case "let":
      return `(let ${list("block", n.bindings.map(print))} ${block(n.body)})`;
    case "local":
    case "global":
    case "const":
      return list(n.kind, n.targets.map(print));
    case "splat":
      return `(... ${print(n.arg)})`;
    case "typeassert":
      return `(::-i ${print(n.expr)} ${print(n.type)})`;
    case "curly":
      return list("curly", [print(n.target), ...n.args.map(print)]);
    case "where":
      return `(where ${print(n.body)} ${n.params.length === 1 ? print(n.params[0]!) : list("braces", n.params.map(print))})`;
    case "subtype":
      return n.left ? `(${n.op} ${print(n.left)} ${print(n.right)})` : `(${n.op}-pre ${print(n.right)})`;
    case "struct": {
      let head = n.typeParams.length ? list("curly", [n.name, ...n.typeParams.map(print)]) : n.name;
      if (n.supertype) head = `(<: ${head} ${print(n.supertype)})`;
      const fields = n.fields.map((f) => {
        let s = f.type ? `(::-i ${f.name} ${print(f.type)})` : f.name;
        if (f.default) s = `(= ${s} ${print(f.default)})`;
        return s;
      });
      return `(${n.mutable ? "struct-mut" : "struct"} ${head} ${list("block", [...fields, ...n.constructors.map(print)])})`;
    }
    case "abstracttype": {
      let head = n.typeParams.length ? list("curly", [n.name, ...n.typeParams.map(print)]) : n.name;
      if (n.supertype) head = `(<: ${head} ${print(n.supertype)})`;
      return `(abstract ${head})`;
    }
    case "module":
      return `(${n.bare ? "module-bare" : "module"} ${n.name} ${block(n.body)})`;
    case "using":
    case "import": {
      const paths = n.modules.map((m) => list("importpath", m));
      if (n.names) {
        const names = n.names.map((x) => (x.alias ? `(as (importpath ${x.name}) ${x.alias})` : `(importpath ${x.name})`));
        return list(n.kind, [list(":", [paths[0]!, ...names])]);
      }
      return list(n.kind, paths);
    }
    case "pair":
      return `(${n.dotted ? "dotcall-i" : "call-i"} ${print(n.left)} => ${print(n.right)})`;
    case "interpolation":
      return `($ ${print(n.expr)})`;
    case "begin":
      return block(n.body);
    case "quote":
      return n.body.kind === "block" ? `(quote ${block(n.body)})` : `(quote-: ${print(n.body)})`;
    case "export":
      return list("export", n.names.map((x) => x.name));
    case "try": {
      const parts = [block(n.body)];
      if (n.catchBody) parts.push(`(catch ${n.catchVar ? n.catchVar.name : "□"} ${block(n.catchBody)})`);
      if (n.finallyBody) parts.push(`(finally ${block(n.finallyBody)})`);
      return list("try", parts);
    }
  }
}
