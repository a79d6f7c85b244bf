//! Prints Core Forms as s-expressions (`slight expand --to core`), so the output of the
//! expander and resolver can be read and diffed.

use super::{Expr, ExprKind, Lambda, Pattern, VarRef};
use std::fmt::Write;

pub fn to_string(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e, 0);
    out
}

fn var(v: VarRef, name: &str) -> String {
    match v {
        VarRef::Unresolved => name.to_string(),
        VarRef::Local(i) => format!("{name}@local{i}"),
        VarRef::Capture(i) => format!("{name}@capture{i}"),
        VarRef::Global(i) => format!("{name}@global{i}"),
    }
}

fn indent(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn list(out: &mut String, head: &str, items: &[Expr], depth: usize) {
    let _ = write!(out, "({head}");
    for i in items {
        indent(out, depth + 1);
        expr(out, i, depth + 1);
    }
    out.push(')');
}

fn lambda(out: &mut String, l: &Lambda, depth: usize) {
    let params: Vec<String> = l
        .params
        .iter()
        .map(|p| match p.ty {
            Some(t) => format!("{}:{}", p.name, t.name()),
            None => p.name.clone(),
        })
        .collect();
    let rest = l.rest.as_ref().map(|r| format!(" . {}", r.name)).unwrap_or_default();
    let _ = write!(out, "(lambda {} ({}{rest})", l.name.as_deref().unwrap_or("_"), params.join(" "));
    if let Some(t) = l.ret {
        let _ = write!(out, " :ret {}", t.name());
    }
    indent(out, depth + 1);
    expr(out, &l.body, depth + 1);
    out.push(')');
}

fn pattern(p: &Pattern) -> String {
    match p {
        Pattern::Wildcard => "_".into(),
        Pattern::Literal(s) => format!("'{s}"),
        Pattern::Bind(b) => b.name.clone(),
        Pattern::List(items) => format!("(list {})", items.iter().map(pattern).collect::<Vec<_>>().join(" ")),
        Pattern::Cons(items, rest) => {
            format!("({} . {})", items.iter().map(pattern).collect::<Vec<_>>().join(" "), pattern(rest))
        }
    }
}

fn expr(out: &mut String, e: &Expr, depth: usize) {
    match &e.kind {
        ExprKind::Const(s) => {
            let _ = write!(out, "'{s}");
        }
        ExprKind::Var { name, var: v } => out.push_str(&var(*v, name)),
        ExprKind::Set { name, var: v, value } => {
            let _ = write!(out, "(set! {} ", var(*v, name));
            expr(out, value, depth + 1);
            out.push(')');
        }
        ExprKind::Define { binding, value, .. } => {
            let _ = write!(out, "(define {}", binding.name);
            indent(out, depth + 1);
            expr(out, value, depth + 1);
            out.push(')');
        }
        ExprKind::If(c, t, f) => list(out, "if", &[(**c).clone(), (**t).clone(), (**f).clone()], depth),
        ExprKind::Lambda(l) => lambda(out, l, depth),
        ExprKind::Call(f, args) => {
            let mut all = vec![(**f).clone()];
            all.extend(args.iter().cloned());
            list(out, if e.tail { "tail-call" } else { "call" }, &all, depth);
        }
        ExprKind::Prim(p, args) => list(out, &format!("prim {}", p.name()), args, depth),
        ExprKind::Seq(items) => list(out, "seq", items, depth),
        ExprKind::Let(bindings, body) | ExprKind::Loop(bindings, body) => {
            let head = if matches!(e.kind, ExprKind::Let(..)) { "let" } else { "loop" };
            let _ = write!(out, "({head} (");
            for (i, (b, init)) in bindings.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                let _ = write!(out, "({} ", b.name);
                expr(out, init, depth + 2);
                out.push(')');
            }
            out.push(')');
            indent(out, depth + 1);
            expr(out, body, depth + 1);
            out.push(')');
        }
        ExprKind::And(items) => list(out, "and", items, depth),
        ExprKind::Or(items) => list(out, "or", items, depth),
        ExprKind::Recur(items) => list(out, "recur", items, depth),
        ExprKind::Try { body, catch, finally } => {
            out.push_str("(try");
            indent(out, depth + 1);
            expr(out, body, depth + 1);
            if let Some((b, h)) = catch {
                indent(out, depth + 1);
                let _ = write!(out, "(catch {} ", b.name);
                expr(out, h, depth + 2);
                out.push(')');
            }
            if let Some(f) = finally {
                indent(out, depth + 1);
                out.push_str("(finally ");
                expr(out, f, depth + 2);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Throw(v) => list(out, "throw", std::slice::from_ref(v), depth),
        ExprKind::Match(v, clauses) => {
            out.push_str("(match ");
            expr(out, v, depth + 1);
            for c in clauses {
                indent(out, depth + 1);
                let _ = write!(out, "({}", pattern(&c.pattern));
                if let Some(g) = &c.guard {
                    out.push_str(" :when ");
                    expr(out, g, depth + 2);
                }
                indent(out, depth + 2);
                expr(out, &c.body, depth + 2);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Eval(form, _) => list(out, "eval", std::slice::from_ref(form), depth),
        ExprKind::DefMacro(name, l) => {
            let _ = write!(out, "(defmacro {name} ");
            lambda(out, l, depth + 1);
            out.push(')');
        }
    }
}
