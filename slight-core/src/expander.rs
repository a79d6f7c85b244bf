//! The expander: turns read [`Sexp`]s into Core Forms ([`Expr`]).
//!
//! It runs user macros (through a [`MacroHost`], which the runtime implements by running the
//! macro's function on the VM) and lowers all sugar — `defun`, `when`, `unless`, `cond`,
//! `quasiquote`, `do` … — into the closed set of [`ExprKind`]s.

use crate::core::{Binding, Expr, ExprKind, Lambda, MatchClause, Pattern, Prim, Type, VarRef};
use crate::error::{Result, SlightError};
use crate::reader::Nest;
use crate::sexp::{Sexp, SexpKind};
use crate::span::Span;

/// How deep macro expansions may nest before the expander gives up.
pub const MACRO_DEPTH_LIMIT: usize = 1000;

/// Runs macros for the expander.
pub trait MacroHost {
    fn is_macro(&self, name: &str) -> bool;
    /// Calls macro `name` with the unevaluated argument forms; returns the expansion.
    fn expand_macro(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp>;
    /// Validates the WGSL generated for a `defkernel` (the runtime runs naga over it); the
    /// message of the first error. Hosts without a shader validator accept everything.
    fn check_shader(&mut self, _wgsl: &str) -> std::result::Result<(), String> {
        Ok(())
    }
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
    "receive",
    "defkernel",
];

/// Most macro calls running at once on a thread. A macro's code can itself expand macros (by
/// calling `eval`), and each such level runs the VM again on the Rust stack.
pub const MAX_RUNNING_MACROS: usize = 16;

thread_local! {
    static RUNNING_MACROS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A macro call in progress on this thread, released when dropped.
struct RunningMacro(());

impl RunningMacro {
    fn enter() -> Option<RunningMacro> {
        RUNNING_MACROS.with(|n| {
            let running = n.get();
            if running >= MAX_RUNNING_MACROS {
                return None;
            }
            n.set(running + 1);
            Some(RunningMacro(()))
        })
    }
}

impl Drop for RunningMacro {
    fn drop(&mut self) {
        RUNNING_MACROS.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Deepest nesting of forms the front end accepts (the reader checks it for source text, the
/// expander for everything, including macro expansions and forms given to `eval`). A `cond`
/// clause and a quasiquoted list count as a level too. Every later pass recurses on the
/// expanded tree, so this bounds their Rust stack use as well.
pub use crate::reader::MAX_NESTING;

/// A `cond` with more clauses than this is flattened (see `Expander::flat_cond`).
const FLAT_COND_CLAUSES: usize = 16;

pub struct Expander<'h> {
    host: &'h mut dyn MacroHost,
    depth: usize,
}

/// Expands one top-level form.
pub fn expand(form: &Sexp, host: &mut dyn MacroHost) -> Result<Expr> {
    Expander { host, depth: 0 }.expr(form)
}

fn err<T>(msg: impl Into<String>, span: Span) -> Result<T> {
    Err(SlightError::syntax(msg, span))
}

fn quote_form(args: &[Sexp], span: Span) -> Result<Expr> {
    let [datum] = args else {
        return err("quote expects exactly one form", span);
    };
    check_datum(datum)?;
    Ok(Expr::new(ExprKind::Const(datum.clone()), span))
}

/// Rejects a quoted datum nested deeper than [`MAX_NESTING`]: later passes copy and convert
/// data recursively. (Source text cannot nest that deep; a form built at run time and given to
/// `eval`, or returned by a macro, can.)
fn check_datum(datum: &Sexp) -> Result<()> {
    match too_deep_part(datum) {
        Some(part) => err(format!("quoted data nested too deeply (limit {MAX_NESTING} levels)"), part.span),
        None => Ok(()),
    }
}

/// The first part of `form` nested [`MAX_NESTING`] lists deep, found without recursion.
fn too_deep_part(form: &Sexp) -> Option<&Sexp> {
    let mut pending: Vec<(&Sexp, usize)> = vec![(form, 1)];
    while let Some((d, depth)) = pending.pop() {
        let (items, rest) = match &d.kind {
            SexpKind::List(items) => (items, None),
            SexpKind::Dotted(items, rest) => (items, Some(&**rest)),
            _ => continue,
        };
        if depth >= MAX_NESTING {
            return Some(d);
        }
        pending.extend(items.iter().chain(rest).map(|x| (x, depth + 1)));
    }
    None
}

#[cold]
fn expects<T>(head: &str, what: &str, span: Span) -> Result<T> {
    err(format!("{head} expects {what}"), span)
}

#[cold]
fn not_a_parameter_list<T>(params: &Sexp) -> Result<T> {
    err(format!("expected a parameter list, got {params}"), params.span)
}

/// Parses the fixed parameters and the rest parameter of a parameter list.
fn parameters(fixed: &[Sexp], rest: Option<&Sexp>) -> Result<(Vec<Binding>, Option<Binding>)> {
    let params = fixed.iter().map(parse_binding).collect::<Result<Vec<_>>>()?;
    let rest = rest.map(parse_binding).transpose()?;
    let mut seen = std::collections::HashSet::new();
    for p in params.iter().chain(rest.iter()) {
        if !seen.insert(p.name.as_str()) {
            return err(format!("duplicate parameter {}", p.name), p.span);
        }
    }
    Ok((params, rest))
}

#[cold]
fn bad_binding<T>(head: &str, what: &str, form: &Sexp) -> Result<T> {
    err(format!("{head} {what}, got {form}"), form.span)
}

#[cold]
fn bad_clause<T>(what: &str, form: &Sexp) -> Result<T> {
    err(format!("{what}, got {form}"), form.span)
}

#[cold]
fn dotted(form: &Sexp) -> Result<Expr> {
    err(format!("cannot evaluate a dotted list: {form}"), form.span)
}

/// Takes one nesting level (see [`MAX_NESTING`]) for as long as the result lives.
pub(crate) fn enter(span: Span) -> Result<Nest> {
    Nest::enter().ok_or_else(|| too_deep(span))
}

#[cold]
fn too_deep(span: Span) -> SlightError {
    SlightError::syntax(format!("expression nested too deeply (limit {MAX_NESTING} levels)"), span)
}

#[cold]
fn splice_outside_list(span: Span) -> Result<Expr> {
    err("unquote-splicing (,@) must be an element of a list inside quasiquote", span)
}

#[cold]
fn outside_quasiquote(head: &str, span: Span) -> Result<Expr> {
    err(format!("{head} outside of quasiquote"), span)
}

#[cold]
fn bad_if(n: usize, span: Span) -> Result<Expr> {
    err(format!("if expects a test, a then branch and an optional else branch, got {n} forms"), span)
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
    /// through here (or takes a level with [`enter`]), so no input can nest deep enough to
    /// overflow the Rust stack here or in the later passes.
    fn expr(&mut self, form: &Sexp) -> Result<Expr> {
        let _level = enter(form.span)?;
        self.expr_inner(form)
    }

    fn expr_inner(&mut self, form: &Sexp) -> Result<Expr> {
        let span = form.span;
        match &form.kind {
            SexpKind::Sym(name) => Ok(Expr::new(ExprKind::Var { name: name.clone(), var: VarRef::Unresolved }, span)),
            SexpKind::List(items) if items.is_empty() => Ok(Expr::new(ExprKind::Const(form.clone()), span)),
            SexpKind::List(items) => self.list_form(form, items),
            SexpKind::Dotted(..) => dotted(form),
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
                "unquote" | "unquote-splicing" => return outside_quasiquote(head, span),
                "def" | "defvar" | "defun" => return self.define(head, args, span),
                "fun" | "lambda" => return self.fun_form(head, args, span),
                "let" | "loop" => return self.let_form(head, args, span),
                "recur" | "and" | "or" => return self.variadic_form(head, args, span),
                "begin" | "do" => return self.begin_form(args, span),
                "if" => return self.if_form(args, span),
                "when" | "unless" => return self.when_form(head, args, span),
                "cond" => return self.cond(args, span),
                "set!" => return self.set_form(args, span),
                "defmacro" => return self.defmacro_form(args, span),
                "try" => return self.try_form(args, span),
                "throw" => return self.throw_form(args, span),
                "match" => return self.match_form(args, span),
                "eval" => return self.eval_form(args, span),
                "include" => {
                    return err(
                        "include must be a top-level form with one string argument: (include \"file.sl\")",
                        span,
                    )
                }
                "defclass" => return self.defclass(args, span),
                "receive" => return self.receive_form(args, span),
                "defkernel" => return self.defkernel(form, args, span),
                _ => {}
            }
        }
        self.call_form(items, span)
    }

    fn call_form(&mut self, items: &[Sexp], span: Span) -> Result<Expr> {
        let callee = self.boxed(&items[0])?;
        let args = self.exprs(&items[1..])?;
        Ok(Expr::new(ExprKind::Call(callee, args), span))
    }

    /// `recur`, `and` and `or`: a head and any number of expressions.
    fn variadic_form(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let exprs = self.exprs(args)?;
        let kind = match head {
            "recur" => ExprKind::Recur(exprs),
            "and" => ExprKind::And(exprs),
            _ => ExprKind::Or(exprs),
        };
        Ok(Expr::new(kind, span))
    }

    /// Expands a subform straight into a box (a smaller result to pass around than an `Expr`).
    fn boxed(&mut self, form: &Sexp) -> Result<Box<Expr>> {
        self.expr(form).map(Box::new)
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
        let bindings = self.binding_list(head, args, span)?;
        let body = self.body(&args[1..], span).map(Box::new)?;
        let kind = if head == "loop" { ExprKind::Loop(bindings, body) } else { ExprKind::Let(bindings, body) };
        Ok(Expr::new(kind, span))
    }

    fn begin_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        self.body(args, span).map(|e| if args.len() > 1 { e } else { Expr { span, ..e } })
    }

    fn if_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        if !(2..=3).contains(&args.len()) {
            return bad_if(args.len(), span);
        }
        let c = self.boxed(&args[0])?;
        let t = self.boxed(&args[1])?;
        let e = match args.get(2) {
            Some(e) => self.boxed(e)?,
            None => Box::new(Expr::nil(span)),
        };
        Ok(Expr::new(ExprKind::If(c, t, e), span))
    }

    fn when_form(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some(test) = args.first() else {
            return err(format!("{head} expects a test"), span);
        };
        let test = self.boxed(test)?;
        let body = self.body(&args[1..], span).map(Box::new)?;
        let nil = Box::new(Expr::nil(span));
        let (t, e) = if head == "when" { (body, nil) } else { (nil, body) };
        Ok(Expr::new(ExprKind::If(test, t, e), span))
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
        let mut current = name.to_string();
        while let Some(next) = expansion.head_sym().filter(|h| self.host.is_macro(h)).map(str::to_string) {
            // Checked before the expansion's parts go to the next macro call: a macro whose
            // expansion grows a level each time would otherwise only be stopped by the
            // expansion limit, after converting ever deeper forms recursively.
            if too_deep_part(&expansion).is_some() {
                self.depth -= steps - 1;
                let msg = format!("macro {current}: expansion nested too deeply (limit {MAX_NESTING} levels)");
                return err(msg, span);
            }
            self.depth += 1;
            steps += 1;
            let result = self.expand_once(&next, &expansion.as_list().unwrap_or_default()[1..], expansion.span);
            current = next;
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
        let Some(_running) = RunningMacro::enter() else {
            return err(
                format!(
                    "macro expansion nested too deeply: {name} is expanded while {MAX_RUNNING_MACROS} macro calls are \
                     running (a macro that evaluates code which uses macros?)"
                ),
                span,
            );
        };
        self.host.expand_macro(name, args, span)
    }

    fn define(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some(target) = args.first() else {
            return expects(head, "a name", span);
        };
        let mut binding = parse_binding(target)?;
        let value = match &args[1..] {
            [] => Box::new(Expr::nil(span)),
            [value] => self.boxed(value)?,
            [params, body @ ..] if head != "defvar" => {
                let lambda = self.lambda(Some(binding.name.clone()), binding.ty, params, body, span).map(Box::new)?;
                binding.ty = None;
                Box::new(Expr::new(ExprKind::Lambda(lambda), span))
            }
            _ => return expects(head, "a name and one value", span),
        };
        Ok(Expr::new(ExprKind::Define { binding, var: VarRef::Unresolved, value }, span))
    }

    /// `(defkernel name (params...) body...)` → `(def name (%gpu-kernel "WGSL" '(defkernel ...)))`:
    /// the kernel is checked and its WGSL generated and validated here, at expansion time (at
    /// build time on the compiled path); the runtime rebuilds the IR from the quoted form for
    /// its CPU back end.
    fn defkernel(&mut self, form: &Sexp, args: &[Sexp], span: Span) -> Result<Expr> {
        let kernel = crate::kernel::check_kernel(args, span)?;
        let wgsl = crate::kernel::wgsl::to_wgsl(&kernel);
        if let Err(e) = self.host.check_shader(&wgsl) {
            return err(
                format!("defkernel {}: the generated WGSL does not validate (a bug in Slight): {e}", kernel.name),
                span,
            );
        }
        let def = Sexp::list(
            vec![
                Sexp::sym("def", span),
                args[0].clone(),
                Sexp::list(
                    vec![
                        Sexp::sym("%gpu-kernel", span),
                        Sexp::new(SexpKind::Str(wgsl), span),
                        Sexp::list(vec![Sexp::sym("quote", span), form.clone()], span),
                    ],
                    span,
                ),
            ],
            span,
        );
        self.expr(&def)
    }

    /// `(defclass Name (slot...) (INIT (params) body...) (:method (params) body...) ...)` →
    /// `(def Name (%make-class "Name" '(slot...) init-or-nil (list :method fn ...)))`, where
    /// INIT and every method are functions taking `this` first.
    fn defclass(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let [name, slots, clauses @ ..] = args else {
            return err("defclass expects a name, a slot list and clauses: (defclass Name (slot...) (INIT (params) body...) (:method (params) body...))", span);
        };
        let Some(class_name) = name.as_sym() else {
            return err(format!("defclass expects a class name, got {name}"), name.span);
        };
        match &slots.kind {
            SexpKind::List(items) if items.iter().all(|s| s.as_sym().is_some()) => {}
            SexpKind::Nil => {}
            _ => {
                return err(
                    format!("defclass {class_name}: the slots must be a list of names, got {slots}"),
                    slots.span,
                )
            }
        }
        let mut init = Expr::nil(span);
        let mut methods = Vec::new();
        for clause in clauses {
            let (label, params, body) = match clause.as_list() {
                Some([label, params, body @ ..]) => (label, params, body),
                _ => return err(format!("defclass {class_name}: a clause must be (INIT (params) body...) or (:method (params) body...), got {clause}"), clause.span),
            };
            let with_this = |params: &Sexp| -> Result<Sexp> {
                let this = Sexp::sym("this", params.span);
                Ok(match &params.kind {
                    SexpKind::List(items) => {
                        Sexp::list(std::iter::once(this).chain(items.iter().cloned()).collect(), params.span)
                    }
                    SexpKind::Dotted(items, rest) => Sexp::new(
                        SexpKind::Dotted(std::iter::once(this).chain(items.iter().cloned()).collect(), rest.clone()),
                        params.span,
                    ),
                    SexpKind::Nil => Sexp::list(vec![this], params.span),
                    _ => return not_a_parameter_list(params),
                })
            };
            match &label.kind {
                SexpKind::Sym(s) if s == "INIT" => {
                    let lambda =
                        self.lambda(Some(format!("{class_name}:INIT")), None, &with_this(params)?, body, clause.span)?;
                    init = Expr::new(ExprKind::Lambda(Box::new(lambda)), clause.span);
                }
                SexpKind::Keyword(m) => {
                    let lambda =
                        self.lambda(Some(format!("{class_name}:{m}")), None, &with_this(params)?, body, clause.span)?;
                    methods.push(Expr::constant(SexpKind::Keyword(m.clone()), label.span));
                    methods.push(Expr::new(ExprKind::Lambda(Box::new(lambda)), clause.span));
                }
                _ => {
                    return err(
                        format!("defclass {class_name}: expected INIT or a :method keyword, got {label}"),
                        label.span,
                    )
                }
            }
        }
        let make = Expr::new(ExprKind::Var { name: "%make-class".into(), var: VarRef::Unresolved }, span);
        let call_args = vec![
            Expr::constant(SexpKind::Str(class_name.to_string()), name.span),
            Expr::new(ExprKind::Const(slots.clone()), slots.span),
            init,
            Expr::new(ExprKind::Prim(Prim::List, methods), span),
        ];
        let value = Expr::new(ExprKind::Call(Box::new(make), call_args), span);
        let binding = Binding::new(class_name.to_string(), None, name.span);
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
            _ => return not_a_parameter_list(params),
        };
        let (params, rest) = parameters(fixed, rest)?;
        let body = self.body(body, span).map(Box::new)?;
        Ok(Lambda { name, params, rest, ret, body, span, info: Default::default() })
    }

    fn binding_list(&mut self, head: &str, args: &[Sexp], span: Span) -> Result<Vec<(Binding, Expr)>> {
        let Some(list) = args.first() else {
            return expects(head, "a binding list", span);
        };
        let items: &[Sexp] = match &list.kind {
            SexpKind::List(items) => items,
            SexpKind::Nil => &[],
            _ => return bad_binding(head, "expects a binding list like ((name value) ...)", list),
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let b = self.binding(head, item)?;
            out.push(b);
        }
        Ok(out)
    }

    /// One `(name value)` of a `let` or `loop`; `(name)` and `name` bind nil.
    fn binding(&mut self, head: &str, item: &Sexp) -> Result<(Binding, Expr)> {
        let (name, value) = match item.as_list() {
            Some([name, value]) => (name, Some(value)),
            Some([name]) => (name, None),
            _ if item.as_sym().is_some() => (item, None),
            _ => return bad_binding(head, "binding must be (name value)", item),
        };
        let binding = parse_binding(name)?;
        let value = match value {
            Some(v) => self.expr(v)?,
            None => Expr::nil(item.span),
        };
        Ok((binding, value))
    }

    fn cond(&mut self, clauses: &[Sexp], span: Span) -> Result<Expr> {
        // Clauses become nested ifs, so each one is a nesting level; a long cond is flattened.
        let _level = enter(span)?;
        if clauses.len() > FLAT_COND_CLAUSES {
            return self.flat_cond(clauses, span);
        }
        self.cond_clauses(clauses, span)
    }

    /// A long `cond` as one `match` on nil with a guarded clause per test, instead of one
    /// nested `if` per clause. A clause with a test and no body needs the test's value: it
    /// becomes `(or test <the rest of the cond>)`.
    fn flat_cond(&mut self, clauses: &[Sexp], span: Span) -> Result<Expr> {
        let mut out = Vec::with_capacity(clauses.len() + 1);
        let mut done = false;
        for (i, clause) in clauses.iter().enumerate() {
            let Some(items) = clause.as_list().filter(|l| !l.is_empty()) else {
                return bad_clause("cond clause must be (test body...)", clause);
            };
            let is_else = items[0].is_sym("else") || matches!(&items[0].kind, SexpKind::Keyword(k) if k == "else");
            let (guard, body) = if is_else {
                (None, self.body(&items[1..], clause.span)?)
            } else if items.len() == 1 {
                let test = self.expr(&items[0])?;
                let rest = self.cond(&clauses[i + 1..], span)?;
                (None, Expr::new(ExprKind::Or(vec![test, rest]), clause.span))
            } else {
                (Some(self.expr(&items[0])?), self.body(&items[1..], clause.span)?)
            };
            done = guard.is_none();
            out.push(MatchClause { pattern: Pattern::Wildcard, guard, body });
            if done {
                break;
            }
        }
        if !done {
            let no_match = Expr::constant(SexpKind::Bool(false), span);
            out.push(MatchClause { pattern: Pattern::Wildcard, guard: None, body: no_match });
        }
        Ok(Expr::new(ExprKind::Match(Box::new(Expr::nil(span)), out), span))
    }

    fn cond_clauses(&mut self, clauses: &[Sexp], span: Span) -> Result<Expr> {
        let Some((first, rest)) = clauses.split_first() else {
            return Ok(Expr::constant(SexpKind::Bool(false), span));
        };
        let Some(items) = first.as_list().filter(|l| !l.is_empty()) else {
            return bad_clause("cond clause must be (test body...)", first);
        };
        let is_else = items[0].is_sym("else") || matches!(&items[0].kind, SexpKind::Keyword(k) if k == "else");
        if is_else {
            return self.body(&items[1..], first.span);
        }
        let test = self.boxed(&items[0])?;
        let otherwise = self.cond(rest, span).map(Box::new)?;
        if items.len() == 1 {
            return Ok(Expr::new(ExprKind::Or(vec![*test, *otherwise]), first.span));
        }
        let then = self.body(&items[1..], first.span).map(Box::new)?;
        Ok(Expr::new(ExprKind::If(test, then, otherwise), first.span))
    }

    fn try_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let mut body_end = args.len();
        let mut catch = None;
        let mut finally = None;
        for (i, form) in args.iter().enumerate().rev() {
            match form.head_sym() {
                Some("finally") if finally.is_none() && catch.is_none() && i + 1 == body_end => {
                    let items = form.as_list().unwrap_or_default();
                    finally = Some(self.body(&items[1..], form.span).map(Box::new)?);
                    body_end = i;
                }
                Some("catch") if catch.is_none() && i + 1 == body_end => {
                    let items = form.as_list().unwrap_or_default();
                    let Some(name) = items.get(1) else {
                        return err("catch expects a name for the error", form.span);
                    };
                    let binding = parse_binding(name)?;
                    catch = Some((binding, self.body(&items[2..], form.span).map(Box::new)?));
                    body_end = i;
                }
                _ => break,
            }
        }
        if let Some(stray) = args[..body_end].iter().find(|f| matches!(f.head_sym(), Some("catch" | "finally"))) {
            return err("catch and finally must come last in try, catch before finally", stray.span);
        }
        let body = self.body(&args[..body_end], span).map(Box::new)?;
        Ok(Expr::new(ExprKind::Try { body, catch, finally }, span))
    }

    fn match_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let Some((value, clauses)) = args.split_first() else {
            return err("match expects a value and clauses", span);
        };
        let value = self.boxed(value)?;
        let mut out = Vec::with_capacity(clauses.len());
        for clause in clauses {
            let c = self.match_clause(clause)?;
            out.push(c);
        }
        Ok(Expr::new(ExprKind::Match(value, out), span))
    }

    /// `(receive (pattern [:when guard] body...) ... [(after ms body...)])` becomes
    ///
    /// ```text
    /// (match (%receive (fun (m) (match m (pattern :when guard 0) ... (_ false))) ms)
    ///   ((0 pattern) body...) ...
    ///   (false after-body...))
    /// ```
    ///
    /// `%receive` waits for the first message the predicate accepts (others stay queued),
    /// removes it and returns its clause index with it, or `false` at the deadline (`nil`: none).
    /// No loop is involved, so a `recur` in a clause body still refers to the user's `loop`.
    fn receive_form(&mut self, args: &[Sexp], span: Span) -> Result<Expr> {
        let s = |name: &str| Sexp::sym(name, span);
        let l = |items: Vec<Sexp>| Sexp::list(items, span);
        let int = |i: usize| Sexp::new(SexpKind::Int(i as i64), span);
        let mut tests = Vec::new();
        let mut clauses = Vec::new();
        let mut after: Option<(Sexp, Vec<Sexp>)> = None;
        for (i, clause) in args.iter().enumerate() {
            let Some(items) = clause.as_list().filter(|l| !l.is_empty()) else {
                return bad_clause("receive clause must be (pattern body...) or (after ms body...)", clause);
            };
            if items[0].is_sym("after") {
                if i + 1 != args.len() || items.len() < 2 {
                    return bad_clause("(after ms body...) must be the last clause of receive", clause);
                }
                after = Some((items[1].clone(), items[2..].to_vec()));
                continue;
            }
            let (guard, body) = match &items[1..] {
                [kw, guard, body @ ..] if matches!(&kw.kind, SexpKind::Keyword(k) if k == "when") => {
                    (Some(guard.clone()), body.to_vec())
                }
                body => (None, body.to_vec()),
            };
            let mut test = vec![items[0].clone()];
            if let Some(g) = guard {
                test.extend([Sexp::new(SexpKind::Keyword("when".into()), span), g]);
            }
            test.push(int(clauses.len()));
            tests.push(l(test));
            let mut c = vec![l(vec![int(clauses.len()), items[0].clone()])];
            c.extend(body);
            clauses.push(l(c));
        }
        // A name no reader can produce, so it cannot capture the user's variables.
        let m = s("receive message");
        tests.push(l(vec![s("_"), Sexp::new(SexpKind::Bool(false), span)]));
        let mut inner = vec![s("match"), m.clone()];
        inner.extend(tests);
        let pred = l(vec![s("fun"), l(vec![m]), l(inner)]);
        let ms = after.as_ref().map_or(Sexp::new(SexpKind::Nil, span), |(ms, _)| ms.clone());
        let mut form = vec![s("match"), l(vec![s("%receive"), pred, ms])];
        form.extend(clauses);
        if let Some((_, body)) = after {
            let mut c = vec![Sexp::new(SexpKind::Bool(false), span)];
            c.extend(body);
            form.push(l(c));
        }
        self.expr(&l(form))
    }

    fn match_clause(&mut self, clause: &Sexp) -> Result<MatchClause> {
        let Some(items) = clause.as_list().filter(|l| !l.is_empty()) else {
            return bad_clause("match clause must be (pattern body...)", clause);
        };
        let pattern = self.pattern(&items[0])?;
        let (guard, body) = match &items[1..] {
            [kw, guard, body @ ..] if matches!(&kw.kind, SexpKind::Keyword(k) if k == "when") => {
                (Some(self.expr(guard)?), body)
            }
            body => (None, body),
        };
        let body = self.body(body, clause.span)?;
        Ok(MatchClause { pattern, guard, body })
    }

    fn pattern(&mut self, form: &Sexp) -> Result<Pattern> {
        let _level = enter(form.span)?;
        self.pattern_inner(form)
    }

    fn pattern_inner(&mut self, form: &Sexp) -> Result<Pattern> {
        Ok(match &form.kind {
            SexpKind::Sym(s) if s == "_" => Pattern::Wildcard,
            SexpKind::Sym(_) => Pattern::Bind(parse_binding(form)?),
            SexpKind::List(items) => match items.first().and_then(Sexp::as_sym) {
                Some("quote") if items.len() == 2 => {
                    check_datum(&items[1])?;
                    Pattern::Literal(items[1].clone())
                }
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
        let _level = enter(form.span)?;
        self.quasi_inner(form, depth)
    }

    fn quasi_inner(&mut self, form: &Sexp, depth: usize) -> Result<Expr> {
        match &form.kind {
            SexpKind::List(items) if !items.is_empty() => {
                if let ([_, x], Some(k)) = (&items[..], items[0].as_sym()) {
                    match k {
                        "unquote" if depth == 1 => return self.expr(x),
                        "unquote-splicing" if depth == 1 => return splice_outside_list(form.span),
                        // Kept as data, with `x` one level out (or in): `(unquote ,@e)` splices.
                        "unquote" | "unquote-splicing" => return self.quasi_list(items, None, depth - 1, form.span),
                        "quasiquote" => return self.quasi_list(items, None, depth + 1, form.span),
                        _ => {}
                    }
                }
                self.quasi_list(items, None, depth, form.span)
            }
            SexpKind::Dotted(items, rest) => self.quasi_list(items, Some(rest), depth, form.span),
            _ => Ok(quoted(form)),
        }
    }

    fn quasi_list(&mut self, items: &[Sexp], rest: Option<&Sexp>, depth: usize, span: Span) -> Result<Expr> {
        let mut segments: Vec<Expr> = Vec::new();
        let mut run: Vec<Expr> = Vec::new();
        for item in items {
            self.quasi_item(item, depth, &mut segments, &mut run, span)?;
        }
        let tail = match rest {
            // A literal atom tail, as in `(x . rest)` parameter lists: the list keeps the `.`
            // marker, exactly like the quoted datum '(x . rest).
            Some(atom) if atom.as_list().is_none() && !matches!(atom.kind, SexpKind::Dotted(..)) => {
                if !run.is_empty() || segments.is_empty() {
                    run.push(quoted(&Sexp::sym(".", atom.span)));
                    run.push(quoted(atom));
                } else {
                    run.extend([quoted(&Sexp::sym(".", atom.span)), quoted(atom)]);
                }
                None
            }
            Some(rest) => Some(self.quasi(rest, depth)?),
            None => None,
        };
        Ok(assemble_quasi(segments, run, tail, span))
    }

    /// One element of a quasiquoted list: spliced (a new segment) or added to the current run.
    fn quasi_item(
        &mut self,
        item: &Sexp,
        depth: usize,
        segments: &mut Vec<Expr>,
        run: &mut Vec<Expr>,
        span: Span,
    ) -> Result<()> {
        match item.as_list() {
            Some([head, x]) if depth == 1 && head.is_sym("unquote-splicing") => {
                if !run.is_empty() {
                    segments.push(Expr::new(ExprKind::Prim(Prim::List, std::mem::take(run)), span));
                }
                let e = self.expr(x)?;
                segments.push(e);
            }
            _ => {
                let e = self.quasi(item, depth)?;
                run.push(e);
            }
        }
        Ok(())
    }
}

fn quoted(f: &Sexp) -> Expr {
    Expr::new(ExprKind::Const(f.clone()), f.span)
}

/// Builds a quasiquoted list from its spliced segments, the pending run of plain elements and
/// the tail of a dotted list.
fn assemble_quasi(mut segments: Vec<Expr>, mut run: Vec<Expr>, tail: Option<Expr>, span: Span) -> Expr {
    if let Some(tail) = tail {
        // (a b . ,rest): the fixed part, then the tail — spliced if it is a list, otherwise
        // kept after a `.` marker (the quasiquote append does that at run time).
        if !run.is_empty() {
            segments.push(Expr::new(ExprKind::Prim(Prim::List, std::mem::take(&mut run)), span));
        }
        segments.push(tail);
        return Expr::new(ExprKind::Prim(Prim::AppendDotted, segments), span);
    } else if !run.is_empty() {
        segments.push(Expr::new(ExprKind::Prim(Prim::List, run), span));
    }
    match segments.len() {
        0 => Expr::new(ExprKind::Const(Sexp::list(vec![], span)), span),
        1 if matches!(segments[0].kind, ExprKind::Prim(Prim::List, _)) => segments.pop().expect("one segment"),
        _ => Expr::new(ExprKind::Prim(Prim::Append, segments), span),
    }
}
