//! Lowering of the **typed numeric subset** of resolved Core Forms to Rust-AST s-expressions
//! (see [`rust_ast`](crate::rust_ast) for the format): a top-level `defun` whose parameters and
//! return type are all annotated `i64`, `f64` or `bool` becomes a plain Rust function with no
//! dynamic values, e.g.
//!
//! ```text
//! (defun fib:i64 (n:i64) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
//! ```
//!
//! becomes
//!
//! ```text
//! pub fn fib(n: i64) -> i64 {
//!     if n < 2 { n } else { ::slight::__rt::checked(i64::checked_add(fib(..), fib(..))) }
//! }
//! ```
//!
//! Input: the `Define` form after [`expand`](crate::expander::expand) and
//! [`resolve_toplevel`](crate::resolver::resolve_toplevel). Output: a `(fn ...)` item form.
//! Anything outside the subset is a [`SlightError`] carrying the span of the offending form
//! ("not in the typed subset yet: ..." of kind `Syntax`, or a type mismatch of kind `Type`);
//! the lowering never panics.
//!
//! # The subset
//!
//! * Constants: integers (`i64`), finite floats (`f64`), `true`/`false` (`bool`).
//! * Parameters, and `let` / `loop` locals: the type is the annotation or, without one, the
//!   type of the initial value (an annotation must agree with it exactly; no implicit
//!   conversion).
//! * `if` (the test must be `bool`, both branches the same type) as a Rust `if` expression;
//!   `begin`/bodies as blocks; `and`/`or` over `bool`s as `&&`/`||`.
//! * Primitives `+ - *` and unary `-` on two `i64`s (checked, below) or `f64`s; an `i64` mixed
//!   with an `f64` is converted with `as f64`, as the VM does. `/` always gives an `f64`; its
//!   divisor must be an `f64` or a non-zero integer constant (an `i64` divisor could be zero,
//!   which the VM reports as an error: not in the subset yet). `< > <= >=` on two numbers of
//!   the same type, `== !=` on two values of the same type, `not` on a `bool`.
//! * Calls of typed global functions by name ([`names::rust_ident`]); their signatures come
//!   from [`Signatures`] (the function being lowered is always in it). Arguments must have
//!   exactly the parameter types.
//! * Self tail calls (`Expr::tail`) and `loop`/`recur`: the function body, resp. the loop,
//!   becomes a Rust `loop`; a tail call or `recur` assigns the new values to the (then `mut`)
//!   parameters or loop variables — through `__next_NAME` temporaries when a later value reads
//!   an earlier one — and `continue`s, so these run in constant stack.
//!
//! # Integer overflow (a decision for the lead)
//!
//! `i64` `+ - *` and negation use `i64::checked_*` and pass the `Option` to a runtime hook,
//! `::slight::__rt::checked(Option<i64>) -> i64` (path configurable in [`Options`]), which
//! returns the value or, on `None`, calls a `-> !` function that raises Slight's
//! "integer overflow" error. This keeps the typed function a plain `fn(i64) -> i64` (what Rust
//! callers and the 1.1× fib benchmark want) and the arithmetic visibly checked; how the hook
//! diverges (an unwind caught at the compiled module's boundary and turned into the VM's
//! `ArithmeticError`, or an abort) is the runtime's choice and the only non-local exit.
//! The alternative, `-> Result<i64, Error>` with `?` after every operation, was not taken: it
//! changes every signature and needs the runtime's error type here.
//!
//! # Names
//!
//! A local is `rust_ident(name)`; a local whose name an earlier local of the same function
//! already uses gets `__ID` appended (its index in `FnInfo::locals`), so shadowing never makes
//! a tail call assign the wrong variable. Neither `name__7` nor the `__next_` temporaries can
//! be produced by [`names::rust_ident`] (`__` is always followed by an escape code, and no code
//! starts with a digit or `n`).

use super::Rt;
use crate::core::{Binding, Expr, ExprKind, FnInfo, Lambda, LocalId, Prim, Type, VarRef};
use crate::error::{ErrorKind, Result, SlightError};
use crate::names;
use crate::sexp::{Sexp, SexpKind};
use crate::span::Span;
use std::collections::HashMap;

/// The types of a typed function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnSig {
    pub params: Vec<Type>,
    pub ret: Type,
}

/// Signatures of the typed global functions a lowered function may call, by Slight name.
pub type Signatures = HashMap<String, FnSig>;

/// Settings of the lowering.
#[derive(Clone, Debug)]
pub struct Options {
    /// The expression path of the overflow hook (`fn(Option<i64>) -> i64`).
    pub overflow_hook: Sexp,
    /// The expression path of the depth hook `fn(impl FnOnce() -> T) -> T`, or `None` for no
    /// depth checks (see "Deep recursion" in the module comment).
    pub depth_hook: Option<Sexp>,
    /// The expression path of the tick hook `fn()`, called once per call and per loop round
    /// (the time slice and the embedder's limits), or `None` for no ticks.
    pub tick_hook: Option<Sexp>,
}

impl Default for Options {
    fn default() -> Self {
        let rt = ["slight".to_string(), "__rt".to_string()];
        Options {
            overflow_hook: super::rt_path(&rt, Rt::checked, &[], Span::default()),
            depth_hook: None,
            tick_hook: None,
        }
    }
}

fn unsupported<T>(what: impl std::fmt::Display, span: Span) -> Result<T> {
    Err(SlightError::syntax(format!("not in the typed subset yet: {what}"), span))
}

fn type_err<T>(msg: impl Into<String>, span: Span) -> Result<T> {
    Err(SlightError::new(ErrorKind::Type, msg, span))
}

/// The `Define` of a `Lambda` inside a (resolved) top-level form.
fn typed_define(def: &Expr) -> Result<(&str, &Lambda)> {
    match &def.kind {
        ExprKind::Define { binding, var: VarRef::Global(_), value } => match &value.kind {
            ExprKind::Lambda(l) => Ok((&binding.name, l)),
            _ => unsupported(format!("{} is not a function definition", binding.name), def.span),
        },
        _ => unsupported("only top-level function definitions (defun) are lowered", def.span),
    }
}

fn scalar(ty: Option<Type>, what: &str, span: Span) -> Result<Type> {
    match ty {
        Some(t @ (Type::I64 | Type::F64 | Type::Bool)) => Ok(t),
        Some(t) => unsupported(format!("{what} has type {} (only i64, f64 and bool are)", t.name()), span),
        None => unsupported(format!("{what} needs a type annotation (i64, f64 or bool)"), span),
    }
}

/// The name and signature of a typed `defun`, or why it is not one.
pub fn signature(def: &Expr) -> Result<(String, FnSig)> {
    let (name, l) = typed_define(def)?;
    if let Some(rest) = &l.rest {
        return unsupported(format!("rest parameter {} of {name}", rest.name), rest.span);
    }
    let mut params = Vec::with_capacity(l.params.len());
    for p in &l.params {
        params.push(scalar(p.ty, &format!("parameter {} of {name}", p.name), p.span)?);
    }
    let ret = scalar(l.ret, &format!("the result of {name}"), l.span)?;
    Ok((name.to_string(), FnSig { params, ret }))
}

/// Lowers several typed definitions that may call each other: the signatures of all are
/// collected first, then each becomes a `(fn ...)` item.
pub fn lower_typed_program(defs: &[Expr], opts: &Options) -> Result<Vec<Sexp>> {
    let mut sigs = Signatures::new();
    for d in defs {
        let (name, sig) = signature(d)?;
        sigs.insert(name, sig);
    }
    defs.iter().map(|d| lower_typed_fn(d, &sigs, opts)).collect()
}

/// Lowers one typed `defun` (resolved) to a `(fn :name ... :pub true ...)` item form. `sigs`
/// are the other typed functions it may call; its own signature is added. With a depth hook
/// in `opts`, use [`lower_typed_fn_items`] instead.
pub fn lower_typed_fn(def: &Expr, sigs: &Signatures, opts: &Options) -> Result<Sexp> {
    let opts = Options { depth_hook: None, ..opts.clone() };
    let mut items = lower_typed_items(def, sigs, &opts)?;
    Ok(items.remove(0))
}

/// Lowers one typed `defun` to its items: with a depth hook, the public `fn NAME(params)` and
/// the function that does the work, `fn __nk_NAME(params, __nb: u32)` (the depth budget);
/// without one, just the public function.
pub fn lower_typed_fn_items(def: &Expr, sigs: &Signatures, opts: &Options) -> Result<Vec<Sexp>> {
    lower_typed_items(def, sigs, opts)
}

/// Calls between typed functions pass a budget that drops by one per nesting level; a function
/// entered with budget 0 calls the depth hook, which checks (and if needed grows) the stack
/// and counts the depth, then starts again with a full budget. Recursion shallower than the
/// budget never reaches the hook, so `fib` pays one extra argument and one compare per call.
pub const DEPTH_BUDGET: i64 = crate::TYPED_DEPTH_BUDGET;

fn inner_name(name: &str) -> String {
    format!("__nk_{}", names::rust_ident(name))
}

fn lower_typed_items(def: &Expr, sigs: &Signatures, opts: &Options) -> Result<Vec<Sexp>> {
    let (name, lambda) = typed_define(def)?;
    let (_, sig) = signature(def)?;
    let mut sigs = sigs.clone();
    sigs.insert(name.to_string(), sig.clone());
    let mut lw = Lower {
        fn_name: name,
        sigs: &sigs,
        opts,
        names: local_names(&lambda.info),
        types: vec![None; lambda.info.locals.len()],
        loops: Vec::new(),
        self_tail: false,
        tail_label: false,
        budget: opts.depth_hook.is_some(),
        spec: None,
    };
    for (p, &t) in lambda.params.iter().zip(&sig.params) {
        lw.set_type(p.local, t, p.span)?;
    }
    let params: Vec<LocalId> = lambda.params.iter().map(|p| p.local).collect();
    lw.loops.push(params.clone());
    let (body, ty) = lw.expr(&lambda.body)?;
    if let Some(t) = ty {
        if t != sig.ret {
            return type_err(
                format!("{name} is declared to return {} but its body gives {}", sig.ret.name(), t.name()),
                lambda.body.span,
            );
        }
    }
    let span = def.span;
    let s = |t: &str| Sexp::sym(t, span);
    let tick: Vec<Sexp> = lw.tick(span).into_iter().collect();
    let body = if lw.self_tail {
        let label: Vec<Sexp> = if lw.tail_label { vec![kw(":label", span), s("tail")] } else { vec![] };
        let ret = list(vec![s("return"), body], span);
        let lp = list([vec![s("loop")], label, tick, vec![ret]].concat(), span);
        list(vec![s("block"), lp], span)
    } else if body.head_sym() == Some("block") {
        let items = body.as_list().map_or(&[][..], |items| &items[1..]);
        list([vec![s("block")], tick, items.to_vec()].concat(), span)
    } else {
        list([vec![s("block")], tick, vec![body]].concat(), span)
    };
    let params: Vec<Sexp> = params
        .iter()
        .zip(&sig.params)
        .map(|(&id, t)| {
            let n = lw.local(id, span);
            let pat = if lw.self_tail { list(vec![s("mut"), n], span) } else { n };
            list(vec![pat, s(t.name())], span)
        })
        .collect();
    let item = |name: &str, public: bool, params: Vec<Sexp>, body: Sexp| {
        let mut v = vec![s("fn"), kw(":name", span), s(name)];
        if public {
            v.extend([kw(":pub", span), Sexp::new(SexpKind::Bool(true), span)]);
            if opts.depth_hook.is_some() {
                // Generated code is not linted (clippy would ask for `else` after `if { return }`).
                v.extend([
                    kw(":attrs", span),
                    list(vec![Sexp::new(SexpKind::Str("allow(clippy::all)".into()), span)], span),
                ]);
            }
        } else {
            v.extend([
                kw(":attrs", span),
                list(vec![Sexp::new(SexpKind::Str("allow(non_snake_case, clippy::all)".into()), span)], span),
            ]);
        }
        v.extend([
            kw(":params", span),
            list(params, span),
            kw(":ret", span),
            s(sig.ret.name()),
            kw(":body", span),
            body,
        ]);
        list(v, span)
    };
    let Some(hook) = &opts.depth_hook else {
        return Ok(vec![item(&names::rust_ident(name), true, params, body)]);
    };
    // fn __nk_NAME(params, __nb: u32) -> T { if __nb == 0 { return hook(|| __nk_NAME(params, BUDGET)); } body }
    let inner = inner_name(name);
    let args: Vec<Sexp> = lambda.params.iter().map(|p| lw.local(p.local, span)).collect();
    let restart = {
        let mut c = vec![s("call"), s(&inner)];
        c.extend(args.iter().cloned());
        c.push(list(vec![s("lit"), Sexp::new(SexpKind::Int(DEPTH_BUDGET), span), s("u32")], span));
        list(c, span)
    };
    let check = list(
        vec![
            s("if"),
            list(
                vec![s("binop"), s("=="), s("__nb"), list(vec![s("lit"), Sexp::new(SexpKind::Int(0), span)], span)],
                span,
            ),
            list(
                vec![
                    s("block"),
                    list(
                        vec![
                            s("return"),
                            list(
                                vec![
                                    s("call"),
                                    hook.clone(),
                                    list(vec![s("closure"), list(vec![], span), restart.clone()], span),
                                ],
                                span,
                            ),
                        ],
                        span,
                    ),
                ],
                span,
            ),
        ],
        span,
    );
    let mut inner_body = vec![s("block"), check];
    match body.as_list() {
        Some(items) if body.head_sym() == Some("block") => inner_body.extend(items[1..].iter().cloned()),
        _ => inner_body.push(body),
    }
    let mut inner_params = params.clone();
    inner_params.push(list(vec![s("__nb"), s("u32")], span));
    let public_params: Vec<Sexp> = lambda
        .params
        .iter()
        .zip(&sig.params)
        .map(|(p, t)| list(vec![lw.local(p.local, span), s(t.name())], span))
        .collect();
    Ok(vec![
        item(&names::rust_ident(name), true, public_params, list(vec![s("block"), restart], span)),
        item(&inner, false, inner_params, list(inner_body, span)),
    ])
}

/// Settings of the speculative lowering ([`lower_speculative`]).
#[derive(Clone, Debug, Default)]
pub struct Speculation {
    /// Path segments of the runtime support library (`["slight", "__rt"]`).
    pub rt: Vec<String>,
    /// The functions specialized together: Slight name → Rust name of the specialized version.
    pub fns: HashMap<String, String>,
    /// Functions whose return type is not known yet: a call of one has no type (like a form
    /// that does not return), so the other branch of an `if` decides (for a first guess).
    pub unknown_ret: std::collections::HashSet<String>,
    /// Functions with inlined calls ([`inline`](super::inline)) → the frames the deepest of
    /// them would push: the specialized version first checks they would fit
    /// (`rt::spec_reserve`).
    pub reserve: HashMap<String, u32>,
}

impl Speculation {
    /// The path of runtime item `item`.
    fn path(&self, item: Rt, span: Span) -> Sexp {
        super::rt_path(&self.rt, item, &[], span)
    }

    /// `let _ = rt::spec_tick(__nvm)?;`: a loop round counts against the time slice.
    fn tick(&self, span: Span) -> Sexp {
        let c = list(vec![Sexp::sym("call", span), self.path(Rt::spec_tick, span), vm(span)], span);
        list(vec![Sexp::sym("let", span), Sexp::sym("_", span), list(vec![Sexp::sym("try", span), c], span)], span)
    }
}

/// The Rust name of the specialized version of the Slight function `name`: `__ns_` and the
/// mapped name (no name from Slight code starts with `__n`).
pub fn speculative_name(name: &str) -> String {
    format!("__ns_{}", names::rust_ident(name))
}

/// The VM parameter of a specialized function (no local's Rust name starts with `__n`).
fn vm(span: Span) -> Sexp {
    Sexp::sym("__nvm", span)
}

/// Lowers an **untyped** top-level `defun` speculatively, under the assumption that it is
/// called with the parameter types of its entry in `sigs` (the caller infers them, e.g. all
/// `i64`): the item `fn NAME(__nvm: &mut Vm, params...) -> SpecRes<RET>` with the typed
/// subset's rules, except that
///
/// * integer overflow returns `Err(Bail::Rerun)` (`rt::spec_checked(..)?`) instead of raising;
/// * calls of the other functions in `spec.fns` go through `rt::spec_call` (time slice, depth
///   and stack checks; too deep is `Bail::Rerun` too), and loops count rounds with
///   `rt::spec_tick`.
///
/// The code it gives has no effects besides the time it takes: when it bails, the caller runs
/// the generic code from the start, which then raises the error (or handles the case) exactly
/// as the VM does. Returns the item and the type the body really gives (`None`: it never
/// returns), which the caller compares with the assumed return type.
pub fn lower_speculative(def: &Expr, sigs: &Signatures, spec: &Speculation) -> Result<(Sexp, Option<Type>)> {
    let (name, lambda) = typed_define(def)?;
    let span = def.span;
    let Some(sig) = sigs.get(name).cloned() else {
        return unsupported(format!("{name} has no assumed signature"), span);
    };
    let Some(rust_name) = spec.fns.get(name) else {
        return unsupported(format!("{name} is not being specialized"), span);
    };
    if lambda.rest.is_some() || lambda.params.len() != sig.params.len() {
        return unsupported(format!("the parameters of {name}"), span);
    }
    let opts = Options { overflow_hook: spec.path(Rt::spec_checked, span), depth_hook: None, tick_hook: None };
    let mut lw = Lower {
        fn_name: name,
        sigs,
        opts: &opts,
        names: local_names(&lambda.info),
        types: vec![None; lambda.info.locals.len()],
        loops: Vec::new(),
        self_tail: false,
        tail_label: false,
        budget: false,
        spec: Some(spec),
    };
    for (p, &t) in lambda.params.iter().zip(&sig.params) {
        lw.set_type(p.local, t, p.span)?;
    }
    lw.loops.push(lambda.params.iter().map(|p| p.local).collect());
    let (body, ty) = lw.expr(&lambda.body)?;
    let s = |t: &str| Sexp::sym(t, span);
    let ok = list(vec![s("call"), s("Ok"), body], span);
    let mut block = vec![s("block")];
    if let Some(&frames) = spec.reserve.get(name).filter(|&&f| f > 0) {
        // let _ = rt::spec_reserve(__nvm, FRAMES)?;
        let n = list(vec![s("lit"), Sexp::new(SexpKind::Int(frames as i64), span), s("usize")], span);
        let c = list(vec![s("call"), spec.path(Rt::spec_reserve, span), vm(span), n], span);
        block.push(list(vec![s("let"), s("_"), list(vec![s("try"), c], span)], span));
    }
    if lw.self_tail {
        let label: Vec<Sexp> = if lw.tail_label { vec![kw(":label", span), s("tail")] } else { vec![] };
        let ret = list(vec![s("return"), ok], span);
        block.push(list([vec![s("loop")], label, vec![spec.tick(span), ret]].concat(), span));
    } else {
        block.push(ok);
    }
    let body = list(block, span);
    let mut params = vec![list(vec![vm(span), list(vec![s("ref-mut"), spec.path(Rt::Vm, span)], span)], span)];
    for (p, t) in lambda.params.iter().zip(&sig.params) {
        let n = lw.local(p.local, span);
        let pat = if lw.self_tail { list(vec![s("mut"), n], span) } else { n };
        params.push(list(vec![pat, s(t.name())], span));
    }
    // `rt::SpecRes<T>`: the path's last segment made generic.
    let mut ret = spec.path(Rt::SpecRes, span);
    if let SexpKind::List(items) = &mut ret.kind {
        let last = items.pop().expect("a path ends with the item");
        items.push(list(vec![s("generic"), last, s(sig.ret.name())], span));
    }
    let attrs = list(
        vec![Sexp::new(
            SexpKind::Str("allow(non_snake_case, unused_mut, unused_variables, unused_parens, clippy::all)".into()),
            span,
        )],
        span,
    );
    let item = list(
        vec![
            s("fn"),
            kw(":name", span),
            s(rust_name),
            kw(":attrs", span),
            attrs,
            kw(":params", span),
            list(params, span),
            kw(":ret", span),
            ret,
            kw(":body", span),
            body,
        ],
        span,
    );
    Ok((item, ty))
}

/// Rust names of a function's locals (see the module comment).
fn local_names(info: &FnInfo) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(info.locals.len());
    for (i, l) in info.locals.iter().enumerate() {
        let base = names::rust_ident(&l.name);
        let taken = info.locals[..i].iter().any(|o| o.name == l.name);
        out.push(if taken { format!("{base}__{i}") } else { base });
    }
    out
}

fn kw(k: &str, span: Span) -> Sexp {
    Sexp::new(SexpKind::Keyword(k.trim_start_matches(':').to_string()), span)
}

fn list(items: Vec<Sexp>, span: Span) -> Sexp {
    Sexp::list(items, span)
}

/// A short one-line rendering of a form for messages.
fn show(e: &Expr) -> String {
    let text = crate::core::print::to_string(e).split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// A lowered expression and its type (`None`: it does not return, e.g. `continue`).
type Lowered = (Sexp, Option<Type>);

struct Lower<'a> {
    fn_name: &'a str,
    sigs: &'a Signatures,
    opts: &'a Options,
    names: Vec<String>,
    types: Vec<Option<Type>>,
    /// The variables `recur` (innermost last) or a self tail call (the first entry) rebind.
    loops: Vec<Vec<LocalId>>,
    self_tail: bool,
    /// Some self tail call is inside a `loop`: the function's loop is labelled `'tail`.
    tail_label: bool,
    /// Calls pass the depth budget (see [`DEPTH_BUDGET`]).
    budget: bool,
    /// Speculative mode (see [`lower_speculative`]).
    spec: Option<&'a Speculation>,
}

impl Lower<'_> {
    fn local(&self, id: LocalId, span: Span) -> Sexp {
        Sexp::sym(self.names.get(id as usize).map_or("_", String::as_str), span)
    }

    fn set_type(&mut self, id: LocalId, t: Type, span: Span) -> Result<()> {
        match self.types.get_mut(id as usize) {
            Some(slot) => {
                *slot = Some(t);
                Ok(())
            }
            None => unsupported("a variable the resolver did not record", span),
        }
    }

    /// `(call TICK_HOOK)`: a call or loop round counts against the time slice (typed code
    /// with a tick hook; specialized code ticks through `Speculation::tick`).
    fn tick(&self, span: Span) -> Option<Sexp> {
        self.opts.tick_hook.as_ref().map(|hook| list(vec![self.sym("call", span), hook.clone()], span))
    }

    fn sym(&self, t: &str, span: Span) -> Sexp {
        Sexp::sym(t, span)
    }

    fn expr(&mut self, e: &Expr) -> Result<Lowered> {
        let _level = crate::expander::enter(e.span)?;
        let span = e.span;
        match &e.kind {
            ExprKind::Const(c) => constant(c, span),
            ExprKind::Var { name, var } => match var {
                VarRef::Local(id) => match self.types.get(*id as usize).copied().flatten() {
                    Some(t) => Ok((self.local(*id, span), Some(t))),
                    None => unsupported(format!("variable {name} has no known type"), span),
                },
                VarRef::Capture(_) => unsupported(format!("captured variable {name}"), span),
                VarRef::Global(_) | VarRef::Unresolved => {
                    unsupported(format!("global variable {name} used as a value"), span)
                }
            },
            ExprKind::If(c, t, f) => {
                let (cs, ct) = self.expr(c)?;
                self.expect(ct, Type::Bool, "the test of if", c.span)?;
                let (ts, tt) = self.expr(t)?;
                let (fs, ft) = self.expr(f)?;
                let ty = match (tt, ft) {
                    (Some(a), Some(b)) if a != b => {
                        return type_err(
                            format!("the branches of if have different types: {} and {}", a.name(), b.name()),
                            span,
                        )
                    }
                    (a, b) => a.or(b),
                };
                Ok((list(vec![self.sym("if", span), cs, ts, fs], span), ty))
            }
            ExprKind::Seq(items) => {
                let mut out = vec![self.sym("block", span)];
                let mut ty = None;
                for item in items {
                    let (s, t) = self.expr(item)?;
                    out.push(s);
                    ty = t;
                }
                if items.is_empty() {
                    return unsupported("an empty body (nil)", span);
                }
                Ok((list(out, span), ty))
            }
            ExprKind::Let(bindings, body) => {
                let mut out = vec![self.sym("block", span)];
                for (b, init) in bindings {
                    out.push(self.binding(b, init, false)?);
                }
                let (bs, bt) = self.expr(body)?;
                push_body(&mut out, bs);
                Ok((list(out, span), bt))
            }
            ExprKind::Loop(bindings, body) => {
                let mut out = vec![self.sym("block", span)];
                for (b, init) in bindings {
                    out.push(self.binding(b, init, true)?);
                }
                self.loops.push(bindings.iter().map(|(b, _)| b.local).collect());
                let result = self.expr(body);
                self.loops.pop();
                let (bs, bt) = result?;
                let brk = list(vec![self.sym("break", span), bs], span);
                let mut lp = vec![self.sym("loop", span)];
                lp.extend(self.spec.map(|s| s.tick(span)).or_else(|| self.tick(span)));
                lp.push(brk);
                out.push(list(lp, span));
                Ok((list(out, span), bt))
            }
            ExprKind::Recur(args) => {
                let targets = self.loops.last().cloned().unwrap_or_default();
                if self.loops.len() < 2 {
                    return unsupported("recur outside of a loop", span);
                }
                self.rebind(&targets, args, None, span)
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let (op, unit) = if matches!(e.kind, ExprKind::And(_)) { ("and", true) } else { ("or", false) };
                let mut acc: Option<Sexp> = None;
                for item in items {
                    let (s, t) = self.expr(item)?;
                    self.expect(t, Type::Bool, &format!("an argument of {op}"), item.span)?;
                    acc = Some(match acc {
                        None => s,
                        Some(a) => list(vec![self.sym("binop", span), self.sym(op, span), a, s], span),
                    });
                }
                Ok((acc.unwrap_or_else(|| lit(SexpKind::Bool(unit), span)), Some(Type::Bool)))
            }
            ExprKind::Prim(p, args) => self.prim(*p, args, span),
            ExprKind::Call(callee, args) => self.call(e, callee, args),
            ExprKind::Set { name, .. } => unsupported(format!("set! of {name}"), span),
            ExprKind::Define { binding, .. } => unsupported(format!("an inner definition of {}", binding.name), span),
            ExprKind::Lambda(_) => unsupported("a function value (fn)", span),
            ExprKind::Try { .. } => unsupported("try", span),
            ExprKind::Throw(_) => unsupported("throw", span),
            ExprKind::Match(..) => unsupported("match", span),
            ExprKind::Eval(..) => unsupported("eval", span),
            ExprKind::DefMacro(name, _) => unsupported(format!("defmacro {name}"), span),
        }
    }

    fn expect(&self, got: Option<Type>, want: Type, what: &str, span: Span) -> Result<()> {
        match got {
            Some(t) if t != want => type_err(format!("{what} must be {}, got {}", want.name(), t.name()), span),
            _ => Ok(()),
        }
    }

    /// `let NAME: T = INIT;` for a `let` or `loop` binding, recording the local's type.
    fn binding(&mut self, b: &Binding, init: &Expr, mutable: bool) -> Result<Sexp> {
        let (s, t) = self.expr(init)?;
        let Some(t) = t else {
            return unsupported(format!("the value of {} does not return", b.name), init.span);
        };
        if let Some(ann) = b.ty {
            scalar(Some(ann), &format!("variable {}", b.name), b.span)?;
            if ann != t {
                return type_err(
                    format!("{} is declared {} but its value is {}", b.name, ann.name(), t.name()),
                    init.span,
                );
            }
        }
        self.set_type(b.local, t, b.span)?;
        let span = b.span;
        let mut out = vec![self.sym("let", span), self.local(b.local, span)];
        if mutable {
            out.push(kw(":mut", span));
            out.push(Sexp::new(SexpKind::Bool(true), span));
        }
        out.extend([kw(":ty", span), self.sym(t.name(), span), s]);
        Ok(list(out, span))
    }

    /// New values for `targets` (parameters or loop variables), then `continue`.
    fn rebind(&mut self, targets: &[LocalId], args: &[Expr], label: Option<&str>, span: Span) -> Result<Lowered> {
        if targets.len() != args.len() {
            return unsupported(format!("{} values for {} variables", args.len(), targets.len()), span);
        }
        let mut changed: Vec<(LocalId, Sexp, &Expr)> = Vec::new();
        for (&id, a) in targets.iter().zip(args) {
            let (s, t) = self.expr(a)?;
            let want = self.types.get(id as usize).copied().flatten();
            if let (Some(t), Some(w)) = (t, want) {
                if t != w {
                    let n = &self.names[id as usize];
                    return type_err(format!("the new value of {n} must be {}, got {}", w.name(), t.name()), a.span);
                }
            }
            if !matches!(a.kind, ExprKind::Var { var: VarRef::Local(l), .. } if l == id) {
                changed.push((id, s, a));
            }
        }
        // Direct assignments are fine unless a value reads a variable assigned before it.
        let direct =
            changed.iter().enumerate().all(|(i, (_, _, a))| !changed[..i].iter().any(|(id, ..)| reads(a, *id)));
        let mut out = vec![self.sym("block", span)];
        let mut assigns = Vec::new();
        for (id, s, _) in changed {
            let var = self.local(id, span);
            if direct {
                assigns.push(list(vec![self.sym("assign", span), var, s], span));
            } else {
                let tmp = self.sym(&format!("__next_{}", self.names[id as usize]), span);
                out.push(list(vec![self.sym("let", span), tmp.clone(), s], span));
                assigns.push(list(vec![self.sym("assign", span), var, tmp], span));
            }
        }
        out.extend(assigns);
        let mut cont = vec![self.sym("continue", span)];
        if let Some(l) = label {
            cont.extend([kw(":label", span), self.sym(l, span)]);
        }
        out.push(list(cont, span));
        Ok((list(out, span), None))
    }

    fn call(&mut self, e: &Expr, callee: &Expr, args: &[Expr]) -> Result<Lowered> {
        let span = e.span;
        let name = match &callee.kind {
            ExprKind::Var { name, var: VarRef::Global(_) } => name,
            _ => return unsupported(format!("a call of {}", show(callee)), callee.span),
        };
        let Some(sig) = self.sigs.get(name.as_str()) else {
            return unsupported(format!("a call of {name}, which is not a typed function"), callee.span);
        };
        if sig.params.len() != args.len() {
            return type_err(format!("{name} expects {} arguments, got {}", sig.params.len(), args.len()), span);
        }
        if e.tail && name == self.fn_name {
            // Inside a `loop`, the `continue` must name the function's loop.
            self.self_tail = true;
            let label = (self.loops.len() > 1).then_some("tail");
            self.tail_label |= label.is_some();
            let targets = self.loops[0].clone();
            return self.rebind(&targets, args, label, span);
        }
        if let Some(spec) = self.spec {
            // rt::spec_call(__nvm, move |__nvm| F(__nvm, args...))?
            let Some(f) = spec.fns.get(name.as_str()) else {
                return unsupported(format!("a call of {name}, which is not specialized"), callee.span);
            };
            // The arguments go to temporaries first: they may use the VM too.
            let mut out = vec![self.sym("block", span)];
            let mut inner = vec![self.sym("call", span), self.sym(f, callee.span), vm(span)];
            let sig = sig.clone();
            for (i, (a, &want)) in args.iter().zip(&sig.params).enumerate() {
                let (s, t) = self.expr(a)?;
                self.expect(t, want, &format!("argument {} of {name}", i + 1), a.span)?;
                let tmp = self.sym(&format!("__nsa{i}"), a.span);
                out.push(list(vec![self.sym("let", span), tmp.clone(), s], span));
                inner.push(tmp);
            }
            let yes = Sexp::new(SexpKind::Bool(true), span);
            let closure = list(
                vec![self.sym("closure", span), kw(":move", span), yes, list(vec![vm(span)], span), list(inner, span)],
                span,
            );
            let c = list(vec![self.sym("call", span), spec.path(Rt::spec_call, span), vm(span), closure], span);
            out.push(list(vec![self.sym("try", span), c], span));
            let call = if out.len() == 2 { out.pop().expect("the call") } else { list(out, span) };
            let ret = (!spec.unknown_ret.contains(name.as_str())).then_some(sig.ret);
            return Ok((call, ret));
        }
        let callee_name = if self.budget { inner_name(name) } else { names::rust_ident(name) };
        let mut out = vec![self.sym("call", span), self.sym(&callee_name, callee.span)];
        let sig = sig.clone();
        for (i, (a, &want)) in args.iter().zip(&sig.params).enumerate() {
            let (s, t) = self.expr(a)?;
            self.expect(t, want, &format!("argument {} of {name}", i + 1), a.span)?;
            out.push(s);
        }
        if self.budget {
            let one = list(vec![self.sym("lit", span), Sexp::new(SexpKind::Int(1), span)], span);
            out.push(list(vec![self.sym("binop", span), self.sym("-", span), self.sym("__nb", span), one], span));
        }
        Ok((list(out, span), Some(sig.ret)))
    }

    fn prim(&mut self, p: Prim, args: &[Expr], span: Span) -> Result<Lowered> {
        let mut lowered = Vec::with_capacity(args.len());
        for a in args {
            let (s, t) = self.expr(a)?;
            let Some(t) = t else {
                return unsupported("an operand that does not return", a.span);
            };
            lowered.push((s, t, a));
        }
        let op = p.name();
        match (p, lowered.as_slice()) {
            (Prim::Not, [(x, t, a)]) => {
                self.expect(Some(*t), Type::Bool, "the argument of not", a.span)?;
                Ok((list(vec![self.sym("unop", span), self.sym("!", span), x.clone()], span), Some(Type::Bool)))
            }
            (Prim::Neg, [(x, t, a)]) => match t {
                Type::I64 => Ok((self.checked("checked_neg", vec![x.clone()], span), Some(Type::I64))),
                Type::F64 => Ok((list(vec![self.sym("unop", span), self.sym("-", span), x.clone()], span), Some(*t))),
                _ => type_err(format!("- needs a number, got {}", t.name()), a.span),
            },
            (Prim::Add | Prim::Sub | Prim::Mul, [(x, tx, ax), (y, ty, ay)]) => {
                self.number(op, *tx, ax)?;
                self.number(op, *ty, ay)?;
                if *tx == Type::I64 && *ty == Type::I64 {
                    let m = match p {
                        Prim::Add => "checked_add",
                        Prim::Sub => "checked_sub",
                        _ => "checked_mul",
                    };
                    return Ok((self.checked(m, vec![x.clone(), y.clone()], span), Some(Type::I64)));
                }
                let (x, y) = (to_f64(x, *tx, span), to_f64(y, *ty, span));
                Ok((list(vec![self.sym("binop", span), self.sym(op, span), x, y], span), Some(Type::F64)))
            }
            (Prim::Div, [(x, tx, ax), (y, ty, ay)]) => {
                self.number(op, *tx, ax)?;
                self.number(op, *ty, ay)?;
                let y = match (ty, &ay.kind) {
                    (Type::F64, _) => y.clone(),
                    (_, ExprKind::Const(Sexp { kind: SexpKind::Int(n), .. })) if *n != 0 => {
                        float_lit(*n as f64, ay.span)
                    }
                    _ => return unsupported("/ with an i64 divisor (it may be zero)", ay.span),
                };
                let x = to_f64(x, *tx, span);
                Ok((list(vec![self.sym("binop", span), self.sym("/", span), x, y], span), Some(Type::F64)))
            }
            (Prim::Lt | Prim::Gt | Prim::Le | Prim::Ge | Prim::Eq | Prim::Ne, [(x, tx, ax), (y, ty, ay)]) => {
                if !matches!(p, Prim::Eq | Prim::Ne) {
                    self.number(op, *tx, ax)?;
                    self.number(op, *ty, ay)?;
                }
                if tx != ty {
                    return unsupported(format!("{op} between {} and {}", tx.name(), ty.name()), span);
                }
                Ok((
                    list(vec![self.sym("binop", span), self.sym(op, span), x.clone(), y.clone()], span),
                    Some(Type::Bool),
                ))
            }
            _ => unsupported(format!("the primitive {op} with {} arguments", args.len()), span),
        }
    }

    fn number(&self, op: &str, t: Type, a: &Expr) -> Result<()> {
        match t {
            Type::I64 | Type::F64 => Ok(()),
            _ => type_err(format!("{op} needs numbers, got {}", t.name()), a.span),
        }
    }

    /// `HOOK(i64::METHOD(ARGS))`.
    fn checked(&self, method: &str, args: Vec<Sexp>, span: Span) -> Sexp {
        let path = list(vec![self.sym("path", span), self.sym("i64", span), self.sym(method, span)], span);
        let inner = list([vec![self.sym("call", span), path], args].concat(), span);
        let mut hook = self.opts.overflow_hook.clone();
        hook.span = span;
        let checked = list(vec![self.sym("call", span), hook, inner], span);
        match self.spec {
            Some(_) => list(vec![self.sym("try", span), checked], span),
            None => checked,
        }
    }
}

/// Appends a body to a block: a nested block's statements are spliced in.
fn push_body(out: &mut Vec<Sexp>, body: Sexp) {
    if body.head_sym() == Some("block") {
        if let SexpKind::List(items) = body.kind {
            out.extend(items.into_iter().skip(1));
            return;
        }
    }
    out.push(body);
}

/// True if `e` reads local `id`.
fn reads(e: &Expr, id: LocalId) -> bool {
    match &e.kind {
        ExprKind::Var { var: VarRef::Local(l), .. } => *l == id,
        _ => e.children().into_iter().any(|c| reads(c, id)),
    }
}

fn lit(kind: SexpKind, span: Span) -> Sexp {
    list(vec![Sexp::sym("lit", span), Sexp::new(kind, span)], span)
}

/// A float literal; negative values as `(unop - ...)`, the canonical form.
fn float_lit(f: f64, span: Span) -> Sexp {
    let l = lit(SexpKind::Float(f.abs()), span);
    if f.is_sign_negative() {
        list(vec![Sexp::sym("unop", span), Sexp::sym("-", span), l], span)
    } else {
        l
    }
}

fn to_f64(x: &Sexp, t: Type, span: Span) -> Sexp {
    if t == Type::F64 {
        return x.clone();
    }
    if let Some([_, Sexp { kind: SexpKind::Int(n), .. }]) = x.as_list() {
        if x.head_sym() == Some("lit") {
            return float_lit(*n as f64, span);
        }
    }
    list(vec![Sexp::sym("cast", span), x.clone(), Sexp::sym("f64", span)], span)
}

fn constant(c: &Sexp, span: Span) -> Result<Lowered> {
    match &c.kind {
        SexpKind::Int(n) => {
            if *n == i64::MIN {
                return unsupported("the literal i64::MIN", span);
            }
            let l = lit(SexpKind::Int(n.abs()), span);
            if *n < 0 {
                return Ok((list(vec![Sexp::sym("unop", span), Sexp::sym("-", span), l], span), Some(Type::I64)));
            }
            Ok((l, Some(Type::I64)))
        }
        SexpKind::Float(f) if f.is_finite() => Ok((float_lit(*f, span), Some(Type::F64))),
        SexpKind::Bool(b) => Ok((lit(SexpKind::Bool(*b), span), Some(Type::Bool))),
        _ => unsupported(format!("the constant {c}"), span),
    }
}
