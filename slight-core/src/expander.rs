//! The expander: turns read [`Sexp`]s into Core Forms ([`Expr`]).
//!
//! It runs user macros (through a [`MacroHost`], which the runtime implements by running the
//! macro's function on the VM) and lowers all sugar — `defun`, `when`, `unless`, `cond`,
//! `quasiquote`, `do` … — into the closed set of [`ExprKind`]s.

use crate::core::{Binding, Expr, ExprKind, Lambda, MatchClause, Pattern, Prim, Type, VarRef};
use crate::error::{Result, SlightError};
use crate::sexp::{Sexp, SexpKind};
use crate::span::Span;

/// How deep macro expansions may nest before the expander gives up.
pub const MACRO_DEPTH_LIMIT: usize = 1000;

/// Runs macros for the expander.
pub trait MacroHost {
    fn is_macro(&self, name: &str) -> bool;
    /// Calls macro `name` with the unevaluated argument forms; returns the expansion.
    fn expand_macro(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp>;
}

/// A host with no macros (for tests and tools that only look at syntax).
pub struct NoMacros;

impl MacroHost for NoMacros {
    fn is_macro(&self, _: &str) -> bool {
        false
    }
    fn expand_macro(&mut self, name: &str, _: &[Sexp], span: Span) -> Result<Sexp> {
        Err(SlightError::syntax(format!("no macro named {name}"), span))
    }
}

/// Special form names; a local variable cannot make these mean anything else.
pub const SPECIAL_FORMS: &[&str] = &[
    "quote",
    "quasiquote",
    "unquote",
    "unquote-splicing",
    "def",
    "defvar",
    "defun",
    "fun",
    "lambda",
    "let",
    "begin",
    "do",
    "if",
    "when",
    "unless",
    "cond",
    "and",
    "or",
    "set!",
    "loop",
    "recur",
    "defmacro",
    "try",
    "throw",
    "match",
    "eval",
    "include",
    "defclass",
    "new",
    "receive",
];

/// Deepest nesting of forms the front end accepts (the reader checks it for source text, the
/// expander for everything, including macro expansions and forms given to `eval`). A `cond`
/// clause and a quasiquoted list count as a level too. Every later pass recurses on the
/// expanded tree, so this bounds their Rust stack use as well.
pub const MAX_NESTING: usize = crate::reader::MAX_NESTING;

pub struct Expander<'h> {
    host: &'h mut dyn MacroHost,
    depth: usize,
    nesting: usize,
}

/// Expands one top-level form.
pub fn expand(form: &Sexp, host: &mut dyn MacroHost) -> Result<Expr> {
    Expander { host, depth: 0, nesting: 0 }.expr(form)
}

fn err<T>(msg: impl Into<String>, span: Span) -> Result<T> {
    Err(SlightError::syntax(msg, span))
}

fn quote_form(args: &[Sexp], span: Span) -> Result<Expr> {
    let [datum] = args else {
        return err("quote expects exactly one form", span);
    };
    Ok(Expr::new(ExprKind::Const(datum.clone()), span))
}

fn unsupported(head: &str, span: Span) -> Result<Expr> {
    err(format!("{head} is not supported yet by this implementation"), span)
}

/// Splits `name:type` in a binding position.
pub fn parse_binding(form: &Sexp) -> Result<Binding> {
    let Some(text) = form.as_sym() else {
        return err(format!("expected a name, got {form}"), form.span);
    };
    if let Some((name, ty)) = text.split_once(':') {
        if name.is_empty() {
            return err(format!("expected a name, got {text}"), form.span);
        }
        match Type::parse(ty) {
            Some(t) => Ok(Binding::new(name.to_string(), Some(t), form.span)),
            None => err(
                format!("unknown type '{ty}' in annotation {text} (types: i64 f64 bool str list map fn any)"),
                form.span,
            ),
        }
    } else {
        Ok(Binding::new(text.to_string(), None, form.span))
    }
}

impl Expander<'_> {
    /// Expands one form, one nesting level deeper. Every recursion of the expander goes
    /// through here (or through [`Expander::enter`]), so no input can nest deep enough to
    /// overflow the Rust stack here or in the later passes.
    fn expr(&mut self, form: &Sexp) -> Result<Expr> {
        self.enter(form.span)?;
        let result = self.expr_inner(form);
        self.nesting -= 1;
        result
    }

    /// Counts one nesting level; the caller decrements `nesting` when done.
    fn enter(&mut self, span: Span) -> Result<()> {
        if self.nesting >= MAX_NESTING {
            return err(format!("expression nested too deeply (limit {MAX_NESTING} levels)"), span);
        }
        self.nesting += 1;
        Ok(())
    }

    fn expr_inner(&mut self, form: &Sexp) -> Result<Expr> {
        let span = form.span;
        match &form.kind {
            SexpKind::Sym(name) => Ok(Expr::new(ExprKind::Var { name: name.clone(), var: VarRef::Unresolved }, span)),
            SexpKind::List(items) if items.is_empty() => Ok(Expr::new(ExprKind::Const(form.clone()), span)),
            SexpKind::List(items) => self.list_form(form, items),
            SexpKind::Dotted(..) => err(format!("cannot evaluate a dotted list: {form}"), span),
            _ => Ok(Expr::new(ExprKind::Const(form.clone()), span)),
        }
    }

    fn body(&mut self, forms: &[Sexp], span: Span) -> Result<Expr> {
        match forms {
            [] => Ok(Expr::nil(span)),
            [one] => self.expr(one),
            many => Ok(Expr::new(ExprKind::Seq(self.exprs(many)?), span)),
        }
    }

    // Each special form has its own function so that this dispatcher, which is on the
    // expander's recursion path, keeps a small stack frame (in unoptimised builds a frame holds
    // the locals of every arm).
    fn list_form(&mut self, form: &Sexp, items: &[Sexp]) -> Result<Expr> {
        let span = form.span;
        let args = &items[1..];
        if let Some(head) = items[0].as_sym() {
            if self.host.is_macro(head) {
                return self.macro_call(head, args, span);
            }
            match head {
                "quote" => return quote_form(args, span),
                "quasiquote" => return self.quasiquote_form(args, span),
                "unquote" | "unquote-splicing" => return err(format!("{head} outside of quasiquote"), span),
                "def" | "defvar" | "defun" => return self.define(head, args, span),
                "fun" | "lambda" => return self.fun_form(head, args, span),
                "let" | "loop" => return self.let_form(head, args, span),
                "recur" => return Ok(Expr::new(ExprKind::Recur(self.exprs(args)?), span)),
                "begin" | "do" => return self.begin_form(args, span),
                "if" => return self.if_form(args, span),
                "when" | "unless" => return self.when_form(head, args, span),
                "cond" => return self.cond(args, span),
                "and" => return Ok(Expr::new(ExprKind::And(self.exprs(args)?), span)),
                "or" => return Ok(Expr::new(ExprKind::Or(self.exprs(args)?), span)),
                "set!" => return self.set_form(args, span),
                "defmacro" => return self.defmacro_form(args, span),
                "try" => return self.try_form(args, span),
                "throw" => return self.throw_form(args, span),
                "match" => return self.match_form(args, span),
                "eval" => return self.eval_form(args, span),
                "include" | "defclass" | "new" | "receive" => return unsupported(head, span),
                _ => {}
            }
        }
        let callee = self.expr(&items[0])?;
        let args = self.exprs(args)?;
        Ok(Expr::new(ExprKind::Call(Box::new(callee), args), span))
    }

    fn quasiquote_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [datum] = args else {
            return err("quasiquote expects exactly one form", span);
        };
        self.quasi(datum, 1)
    }

    fn fun_form(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some(params) = args.first() else {
            return err(format!("{head} expects a parameter list"), span);
        };
        let lambda = self.lambda(None, None, params, &args[1..], span)?;
        Ok(Expr::new(ExprKind::Lambda(Box::new(lambda)), span))
    }

    fn let_form(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let (bindings, body) = self.bindings(head, args, span)?;
        let kind = if head == "loop" {
            ExprKind::Loop(bindings, Box::new(body))
        } else {
            ExprKind::Let(bindings, Box::new(body))
        };
        Ok(Expr::new(kind, span))
    }

    fn begin_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        self.body(args, span).map(|e| if args.len() > 1 { e } else { Expr { span, ..e } })
    }

    fn if_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let (c, t, e) = match args {
            [c, t] => (self.expr(c)?, self.expr(t)?, Expr::nil(span)),
            [c, t, e] => (self.expr(c)?, self.expr(t)?, self.expr(e)?),
            _ => {
                return err(
                    format!("if expects a test, a then branch and an optional else branch, got {} forms", args.len()),
                    span,
                )
            }
        };
        Ok(Expr::new(ExprKind::If(Box::new(c), Box::new(t), Box::new(e)), span))
    }

    fn when_form(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some(test) = args.first() else {
            return err(format!("{head} expects a test"), span);
        };
        let test = self.expr(test)?;
        let body = self.body(&args[1..], span)?;
        let (t, e) = if head == "when" { (body, Expr::nil(span)) } else { (Expr::nil(span), body) };
        Ok(Expr::new(ExprKind::If(Box::new(test), Box::new(t), Box::new(e)), span))
    }

    fn set_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [target, value] = args else {
            return err("set! expects a name and a value", span);
        };
        let Some(name) = target.as_sym() else {
            return err(format!("set! expects a name, got {target}"), target.span);
        };
        let value = self.expr(value)?;
        Ok(Expr::new(ExprKind::Set { name: name.to_string(), var: VarRef::Unresolved, value: Box::new(value) }, span))
    }

    fn defmacro_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [name, params, body @ ..] = args else {
            return err("defmacro expects a name, a parameter list and a body", span);
        };
        let Some(name) = name.as_sym() else {
            return err(format!("defmacro expects a name, got {name}"), name.span);
        };
        let lambda = self.lambda(Some(name.to_string()), None, params, body, span)?;
        Ok(Expr::new(ExprKind::DefMacro(name.to_string(), Box::new(lambda)), span))
    }

    fn throw_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [v] = args else {
            return err("throw expects exactly one value", span);
        };
        Ok(Expr::new(ExprKind::Throw(Box::new(self.expr(v)?)), span))
    }

    fn eval_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [v] = args else {
            return err("eval expects exactly one form", span);
        };
        Ok(Expr::new(ExprKind::Eval(Box::new(self.expr(v)?), Vec::new()), span))
    }

    fn exprs(&mut self, forms: &[Sexp]) -> Result<Vec<Expr>> {
        let mut out = Vec::with_capacity(forms.len());
        for f in forms {
            out.push(self.expr(f)?);
        }
        Ok(out)
    }

    /// Expands a macro call. An expansion that is itself a macro call is expanded again in a
    /// loop, without recursion; expansions nested inside other forms recurse and count towards
    /// both the macro depth and the nesting limit.
    fn macro_call(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let mut expansion = self.expand_once(name, args, span)?;
        let mut steps = 1;
        while let Some(next) = expansion.head_sym().filter(|h| self.host.is_macro(h)).map(str::to_string) {
            self.depth += 1;
            steps += 1;
            let result = self.expand_once(&next, &expansion.as_list().unwrap_or_default()[1..], expansion.span);
            expansion = match result {
                Ok(e) => e,
                Err(e) => {
                    self.depth -= steps - 1;
                    return Err(e);
                }
            };
        }
        self.depth += 1;
        let result = self.expr(&expansion);
        self.depth -= steps;
        result
    }

    fn expand_once(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp> {
        if self.depth >= MACRO_DEPTH_LIMIT {
            return err(format!("macro expansion too deep (limit {MACRO_DEPTH_LIMIT}) while expanding {name}"), span);
        }
        self.host.expand_macro(name, args, span)
    }

    fn define(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some(target) = args.first() else {
            return err(format!("{head} expects a name"), span);
        };
        let binding = parse_binding(target)?;
        let value = match &args[1..] {
            [] => Expr::nil(span),
            [value] => self.expr(value)?,
            [params, body @ ..] if head != "defvar" => {
                let lambda = self.lambda(Some(binding.name.clone()), binding.ty, params, body, span)?;
                let expr = Expr::new(ExprKind::Lambda(Box::new(lambda)), span);
                let binding = Binding { ty: None, ..binding };
                return Ok(Expr::new(
                    ExprKind::Define { binding, var: VarRef::Unresolved, value: Box::new(expr) },
                    span,
                ));
            }
            _ => return err(format!("{head} expects a name and one value"), span),
        };
        Ok(Expr::new(ExprKind::Define { binding, var: VarRef::Unresolved, value: Box::new(value) }, span))
    }

    fn lambda(
        &mut self,
        name: Option<String>,
        ret: Option<Type>,
        params: &Sexp,
        body: &[Sexp],
        span: Span,
    ) -> Result<Lambda> {
        let (fixed, rest): (&[Sexp], Option<&Sexp>) = match &params.kind {
            SexpKind::List(items) => (items, None),
            SexpKind::Dotted(items, rest) => (items, Some(rest)),
            SexpKind::Nil => (&[], None),
            _ => return err(format!("expected a parameter list, got {params}"), params.span),
        };
        let params = fixed.iter().map(parse_binding).collect::<Result<Vec<_>>>()?;
        let rest = rest.map(parse_binding).transpose()?;
        let mut seen = std::collections::HashSet::new();
        for p in params.iter().chain(rest.iter()) {
            if !seen.insert(p.name.as_str()) {
                return err(format!("duplicate parameter {}", p.name), p.span);
            }
        }
        let body = self.body(body, span)?;
        Ok(Lambda { name, params, rest, ret, body: Box::new(body), span, info: Default::default() })
    }

    fn bindings(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<(Vec<(Binding, Expr)>, Expr)> {
        let Some(list) = args.first() else {
            return err(format!("{head} expects a binding list"), span);
        };
        let items: &[Sexp] = match &list.kind {
            SexpKind::List(items) => items,
            SexpKind::Nil => &[],
            _ => return err(format!("{head} expects a binding list like ((name value) ...), got {list}"), list.span),
        };
        let mut out = Vec::new();
        for item in items {
            match item.as_list() {
                Some([name, value]) => out.push((parse_binding(name)?, self.expr(value)?)),
                Some([name]) => out.push((parse_binding(name)?, Expr::nil(item.span))),
                _ if item.as_sym().is_some() => out.push((parse_binding(item)?, Expr::nil(item.span))),
                _ => return err(format!("{head} binding must be (name value), got {item}"), item.span),
            }
        }
        let body = self.body(&args[1..], span)?;
        Ok((out, body))
    }

    fn cond(&mut self, clauses: &[Sexp], span: Span) -> Result<Expr> {
        // Clauses become nested ifs, so each one is a nesting level.
        self.enter(span)?;
        let result = self.cond_clauses(clauses, span);
        self.nesting -= 1;
        result
    }

    fn cond_clauses(&mut self, clauses: &[Sexp], span: Span) -> Result<Expr> {
        let Some((first, rest)) = clauses.split_first() else {
            return Ok(Expr::constant(SexpKind::Bool(false), span));
        };
        let Some(items) = first.as_list().filter(|l| !l.is_empty()) else {
            return err(format!("cond clause must be (test body...), got {first}"), first.span);
        };
        let is_else = items[0].is_sym("else") || matches!(&items[0].kind, SexpKind::Keyword(k) if k == "else");
        if is_else {
            return self.body(&items[1..], first.span);
        }
        let test = self.expr(&items[0])?;
        let otherwise = self.cond(rest, span)?;
        if items.len() == 1 {
            return Ok(Expr::new(ExprKind::Or(vec![test, otherwise]), first.span));
        }
        let then = self.body(&items[1..], first.span)?;
        Ok(Expr::new(ExprKind::If(Box::new(test), Box::new(then), Box::new(otherwise)), first.span))
    }

    fn try_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let mut body_end = args.len();
        let mut catch = None;
        let mut finally = None;
        for (i, form) in args.iter().enumerate().rev() {
            match form.head_sym() {
                Some("finally") if finally.is_none() && catch.is_none() && i + 1 == body_end => {
                    let items = form.as_list().unwrap_or_default();
                    finally = Some(Box::new(self.body(&items[1..], form.span)?));
                    body_end = i;
                }
                Some("catch") if catch.is_none() && i + 1 == body_end => {
                    let items = form.as_list().unwrap_or_default();
                    let Some(name) = items.get(1) else {
                        return err("catch expects a name for the error", form.span);
                    };
                    let binding = parse_binding(name)?;
                    catch = Some((binding, Box::new(self.body(&items[2..], form.span)?)));
                    body_end = i;
                }
                _ => break,
            }
        }
        if let Some(stray) = args[..body_end].iter().find(|f| matches!(f.head_sym(), Some("catch" | "finally"))) {
            return err("catch and finally must come last in try, catch before finally", stray.span);
        }
        let body = self.body(&args[..body_end], span)?;
        Ok(Expr::new(ExprKind::Try { body: Box::new(body), catch, finally }, span))
    }

    fn match_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some((value, clauses)) = args.split_first() else {
            return err("match expects a value and clauses", span);
        };
        let value = self.expr(value)?;
        let mut out = Vec::new();
        for clause in clauses {
            let Some(items) = clause.as_list().filter(|l| !l.is_empty()) else {
                return err(format!("match clause must be (pattern body...), got {clause}"), clause.span);
            };
            let pattern = self.pattern(&items[0])?;
            let (guard, body) = match &items[1..] {
                [kw, guard, body @ ..] if matches!(&kw.kind, SexpKind::Keyword(k) if k == "when") => {
                    (Some(self.expr(guard)?), body)
                }
                body => (None, body),
            };
            let body = self.body(body, clause.span)?;
            out.push(MatchClause { pattern, guard, body });
        }
        Ok(Expr::new(ExprKind::Match(Box::new(value), out), span))
    }

    fn pattern(&mut self, form: &Sexp) -> Result<Pattern> {
        self.enter(form.span)?;
        let result = self.pattern_inner(form);
        self.nesting -= 1;
        result
    }

    fn pattern_inner(&mut self, form: &Sexp) -> Result<Pattern> {
        Ok(match &form.kind {
            SexpKind::Sym(s) if s == "_" => Pattern::Wildcard,
            SexpKind::Sym(_) => Pattern::Bind(parse_binding(form)?),
            SexpKind::List(items) => match items.first().and_then(Sexp::as_sym) {
                Some("quote") if items.len() == 2 => Pattern::Literal(items[1].clone()),
                Some("list") => Pattern::List(items[1..].iter().map(|p| self.pattern(p)).collect::<Result<_>>()?),
                _ => Pattern::List(items.iter().map(|p| self.pattern(p)).collect::<Result<_>>()?),
            },
            SexpKind::Dotted(items, rest) => {
                let fixed = items.iter().map(|p| self.pattern(p)).collect::<Result<_>>()?;
                Pattern::Cons(fixed, Box::new(self.pattern(rest)?))
            }
            _ => Pattern::Literal(form.clone()),
        })
    }

    /// Quasiquote at nesting `depth` (1 = outermost).
    fn quasi(&mut self, form: &Sexp, depth: usize) -> Result<Expr> {
        self.enter(form.span)?;
        let result = self.quasi_inner(form, depth);
        self.nesting -= 1;
        result
    }

    fn quasi_inner(&mut self, form: &Sexp, depth: usize) -> Result<Expr> {
        let span = form.span;
        let quoted = |f: &Sexp| Expr::new(ExprKind::Const(f.clone()), f.span);
        match &form.kind {
            SexpKind::List(items) if !items.is_empty() => {
                match (items[0].as_sym(), items.len()) {
                    (Some("unquote"), 2) if depth == 1 => return self.expr(&items[1]),
                    (Some(k @ ("unquote" | "unquote-splicing")), 2) => {
                        let inner = self.quasi(&items[1], depth - 1)?;
                        return Ok(Expr::new(
                            ExprKind::Prim(Prim::List, vec![quoted(&Sexp::sym(k, items[0].span)), inner]),
                            span,
                        ));
                    }
                    (Some("quasiquote"), 2) => {
                        let inner = self.quasi(&items[1], depth + 1)?;
                        return Ok(Expr::new(ExprKind::Prim(Prim::List, vec![quoted(&items[0]), inner]), span));
                    }
                    _ => {}
                }
                self.quasi_list(items, None, depth, span)
            }
            SexpKind::Dotted(items, rest) => self.quasi_list(items, Some(rest), depth, span),
            _ => Ok(quoted(form)),
        }
    }

    fn quasi_list(&mut self, items: &[Sexp], rest: Option<&Sexp>, depth: usize, span: Span) -> Result<Expr> {
        let mut segments: Vec<Expr> = Vec::new();
        let mut run: Vec<Expr> = Vec::new();
        for item in items {
            let splice = item.as_list().filter(|l| l.len() == 2 && l[0].is_sym("unquote-splicing") && depth == 1);
            if let Some(l) = splice {
                if !run.is_empty() {
                    segments.push(Expr::new(ExprKind::Prim(Prim::List, std::mem::take(&mut run)), span));
                }
                segments.push(self.expr(&l[1])?);
            } else {
                run.push(self.quasi(item, depth)?);
            }
        }
        if let Some(rest) = rest {
            // (a b . rest): cons the fixed part onto the tail.
            let mut tail = self.quasi(rest, depth)?;
            if run.len() > 8 {
                // A long fixed part would make a deep chain of conses: append it instead.
                segments.push(Expr::new(ExprKind::Prim(Prim::List, std::mem::take(&mut run)), span));
            }
            for e in run.drain(..).rev() {
                tail = Expr::new(ExprKind::Prim(Prim::Cons, vec![e, tail]), span);
            }
            segments.push(tail);
        } else if !run.is_empty() {
            segments.push(Expr::new(ExprKind::Prim(Prim::List, run), span));
        }
        Ok(match segments.len() {
            0 => Expr::new(ExprKind::Const(Sexp::list(vec![], span)), span),
            1 if matches!(segments[0].kind, ExprKind::Prim(Prim::List, _)) => segments.pop().unwrap(),
            _ => Expr::new(ExprKind::Prim(Prim::Append, segments), span),
        })
    }
}
