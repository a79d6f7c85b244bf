//! Closure inlining for specialized code: a Core Forms → Core Forms pass that removes the
//! closures a function builds and only calls, so that its body can fit the typed subset (see
//! [`lower_speculative`](super::lower_speculative)).
//!
//! ```text
//! (defun make-adder (n) (fun (x) (+ x n)))
//! (defun twice (i) (let ((h (make-adder i))) (h (h 1))))
//! ```
//!
//! `twice` becomes, before it is resolved again and lowered speculatively,
//!
//! ```text
//! (defun twice (i#1) (let ((n#2 i#1)) (let ((x#4 (let ((x#3 1)) (+ x#3 n#2)))) (+ x#4 n#2))))
//! ```
//!
//! # The rules
//!
//! * A **closure constructor** is a known top-level function (defined once, never assigned;
//!   the caller decides) without a declared result type whose body's value is a `fun` with
//!   fixed parameters. A call of one is inlined: its arguments are bound to its parameters
//!   with `let`, and the result is a *known closure*: the `fun` and the bindings it sees.
//! * A `fun` expression is a known closure too, and so is a local bound to one with `let` or
//!   a parameter of an inlined call that received one. The `let` bindings made while building
//!   a known closure are floated out to the `let` that binds it (all locals get fresh names,
//!   so nothing is shadowed or captured by mistake).
//! * A call of a known closure is inlined the same way (beta reduction).
//! * The pass fails (the function is then not specialized) when a known closure is used any
//!   other way: as a value, an argument of a real call, the result of an `if` branch or of the
//!   function; when an inlined body makes a real call (a call that stays a call); on `set!`,
//!   inner definitions, `try`, `throw`, `match` and `eval`; on a wrong number of arguments;
//!   and beyond [`MAX_DEPTH`] nested inlinings (`(f f)` with `f` = `(fun (x) (x x))`) or
//!   [`MAX_INLINED`] inlinings in all.
//!
//! # Why the result behaves like the original
//!
//! The inlined bodies make no real calls, so apart from time (the time slice, which already
//! differs between the paths) the frames that are not pushed are never observed — except by
//! the frame limit: the specialized function first checks that the deepest inlined call would
//! fit (`Inlined::depth`, `rt::spec_reserve`). Captured variables are never assigned (`set!`
//! fails the pass), so copying them into `let`s is exact. The specialized code it feeds has no
//! effects and bails out to the generic code on any failed assumption, and its entry checks
//! that every inlined constructor's global still holds it ([`Inlined::uses`]).

use crate::core::{Binding, Expr, ExprKind, Lambda, VarRef};
use std::collections::HashMap;
use std::rc::Rc;

/// At most this many inlined calls nested in each other.
pub const MAX_DEPTH: u32 = 16;
/// At most this many inlined calls in one function (each copies a body).
pub const MAX_INLINED: u32 = 64;

/// The result of [`inline_closures`].
#[derive(Clone, Debug)]
pub struct Inlined {
    /// The `Define` with the inlined body; not resolved (all variables `Unresolved`).
    pub def: Expr,
    /// The closure constructors it inlined (their globals must still hold them).
    pub uses: Vec<String>,
    /// The deepest nesting of inlined calls: the frames the original would push beyond its own.
    pub depth: u32,
}

/// The closure constructors among top-level definitions: name → function, for those whose
/// body's value is a `fun` (see the module comment). `known` says which names qualify at all.
pub fn closure_constructors<'e>(
    defs: impl Iterator<Item = &'e Expr>,
    known: &dyn Fn(&str) -> bool,
) -> HashMap<String, &'e Lambda> {
    let mut out = HashMap::new();
    for e in defs {
        let ExprKind::Define { binding, var: VarRef::Global(_), value } = &e.kind else { continue };
        let ExprKind::Lambda(l) = &value.kind else { continue };
        if l.rest.is_none() && l.ret.is_none() && known(&binding.name) && ends_in_lambda(&l.body) {
            out.insert(binding.name.clone(), &**l);
        }
    }
    out
}

fn ends_in_lambda(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Lambda(_) => true,
        ExprKind::Let(_, body) => ends_in_lambda(body),
        ExprKind::Seq(items) => items.len() == 1 && ends_in_lambda(&items[0]),
        _ => false,
    }
}

/// Inlines the closure constructors `ctors` and the known closures in the top-level
/// definition `def` (a resolved `Define` of a `fun`). `None` when nothing was inlined or the
/// pass fails (see the module comment).
pub fn inline_closures(def: &Expr, ctors: &HashMap<String, &Lambda>) -> Option<Inlined> {
    let ExprKind::Define { binding, var: VarRef::Global(_), value } = &def.kind else { return None };
    let ExprKind::Lambda(l) = &value.kind else { return None };
    if l.rest.is_some() {
        return None;
    }
    let mut pass = Inliner { ctors, fresh: 0, nesting: 0, depth: 0, count: 0, uses: Vec::new() };
    let mut env = Env::new();
    let params: Vec<Binding> = l.params.iter().map(|p| pass.bind(p, &mut env)).collect();
    let body = pass.value(&l.body, &env)?;
    if pass.depth == 0 {
        return None;
    }
    let lambda = Lambda {
        name: l.name.clone(),
        params,
        rest: None,
        ret: l.ret,
        body: Box::new(body),
        span: l.span,
        info: Default::default(),
    };
    let value = Expr::new(ExprKind::Lambda(Box::new(lambda)), value.span);
    let define = ExprKind::Define { binding: binding.clone(), var: VarRef::Unresolved, value: Box::new(value) };
    Some(Inlined { def: Expr::new(define, def.span), uses: pass.uses, depth: pass.depth })
}

/// What a local of the original stands for.
#[derive(Clone)]
enum Sub {
    /// A local of the output (its fresh name).
    Local(String),
    Known(Rc<Closure>),
}

type Env = HashMap<String, Sub>;

/// A `fun` and the bindings it sees.
struct Closure {
    lambda: Lambda,
    env: Env,
}

/// The value of a form: an expression, or a known closure with the `let` bindings to make
/// before it (in order).
enum Out {
    Value(Expr),
    Closure(Vec<(Binding, Expr)>, Rc<Closure>),
}

struct Inliner<'c, 'e> {
    ctors: &'c HashMap<String, &'e Lambda>,
    fresh: u32,
    /// Inlined calls around the current form.
    nesting: u32,
    /// The most of `nesting` so far.
    depth: u32,
    /// Calls inlined so far.
    count: u32,
    uses: Vec<String>,
}

fn var(name: &str, e: &Expr) -> Expr {
    Expr::new(ExprKind::Var { name: name.to_string(), var: VarRef::Unresolved }, e.span)
}

/// `body` after `bindings`: a `let` around a value, or more bindings before a known closure.
fn after(mut bindings: Vec<(Binding, Expr)>, body: Out) -> Out {
    match body {
        Out::Value(v) => Out::Value(with_bindings(bindings, v)),
        Out::Closure(pre, c) => {
            bindings.extend(pre);
            Out::Closure(bindings, c)
        }
    }
}

fn with_bindings(bindings: Vec<(Binding, Expr)>, body: Expr) -> Expr {
    if bindings.is_empty() {
        return body;
    }
    let span = body.span;
    Expr::new(ExprKind::Let(bindings, Box::new(body)), span)
}

impl Inliner<'_, '_> {
    /// A fresh output name for binding `b`, recorded in `env`.
    fn bind(&mut self, b: &Binding, env: &mut Env) -> Binding {
        self.fresh += 1;
        // No Slight symbol contains `#` (the reader's `is_symbol_char`).
        let name = format!("{}#{}", b.name, self.fresh);
        env.insert(b.name.clone(), Sub::Local(name.clone()));
        Binding::new(name, b.ty, b.span)
    }

    fn value(&mut self, e: &Expr, env: &Env) -> Option<Expr> {
        match self.form(e, env)? {
            Out::Value(v) => Some(v),
            Out::Closure(..) => None,
        }
    }

    fn values(&mut self, es: &[Expr], env: &Env) -> Option<Vec<Expr>> {
        es.iter().map(|e| self.value(e, env)).collect()
    }

    fn form(&mut self, e: &Expr, env: &Env) -> Option<Out> {
        let _level = crate::expander::enter(e.span).ok()?;
        let kind = match &e.kind {
            ExprKind::Const(_) => e.kind.clone(),
            ExprKind::Var { name, var: v } => match v {
                VarRef::Local(_) | VarRef::Capture(_) => match env.get(name)? {
                    Sub::Local(n) => return Some(Out::Value(var(n, e))),
                    Sub::Known(c) => return Some(Out::Closure(Vec::new(), c.clone())),
                },
                VarRef::Global(_) | VarRef::Unresolved => return Some(Out::Value(var(name, e))),
            },
            ExprKind::Lambda(l) => {
                // A declared result type is checked by the call: not inlined.
                if l.rest.is_some() || l.ret.is_some() {
                    return None;
                }
                let c = Closure { lambda: (**l).clone(), env: env.clone() };
                return Some(Out::Closure(Vec::new(), Rc::new(c)));
            }
            ExprKind::If(c, t, f) => {
                let (c, t, f) = (self.value(c, env)?, self.value(t, env)?, self.value(f, env)?);
                ExprKind::If(Box::new(c), Box::new(t), Box::new(f))
            }
            ExprKind::Seq(items) if items.len() == 1 => return self.form(&items[0], env),
            ExprKind::Seq(items) => ExprKind::Seq(self.values(items, env)?),
            ExprKind::And(items) => ExprKind::And(self.values(items, env)?),
            ExprKind::Or(items) => ExprKind::Or(self.values(items, env)?),
            ExprKind::Prim(p, args) => ExprKind::Prim(*p, self.values(args, env)?),
            ExprKind::Recur(args) => ExprKind::Recur(self.values(args, env)?),
            ExprKind::Let(bindings, body) => {
                let mut env = env.clone();
                let mut out = Vec::new();
                for (b, init) in bindings {
                    let value = self.form(init, &env)?;
                    self.bind_out(b, value, &mut out, &mut env);
                }
                return Some(after(out, self.form(body, &env)?));
            }
            ExprKind::Loop(bindings, body) => {
                let mut env = env.clone();
                let mut out = Vec::new();
                for (b, init) in bindings {
                    let v = self.value(init, &env)?;
                    out.push((self.bind(b, &mut env), v));
                }
                ExprKind::Loop(out, Box::new(self.value(body, &env)?))
            }
            ExprKind::Call(callee, args) => return self.call(e, callee, args, env),
            ExprKind::Set { .. }
            | ExprKind::Define { .. }
            | ExprKind::Try { .. }
            | ExprKind::Throw(_)
            | ExprKind::Match(..)
            | ExprKind::Eval(..)
            | ExprKind::DefMacro(..) => return None,
        };
        Some(Out::Value(Expr::new(kind, e.span)))
    }

    fn call(&mut self, e: &Expr, callee: &Expr, args: &[Expr], env: &Env) -> Option<Out> {
        // The callee is evaluated first: the bindings that build it come first.
        let mut bindings = Vec::new();
        let mut callee_value = None;
        let known = match &callee.kind {
            ExprKind::Var { name, var: VarRef::Global(_) } => match self.ctors.get(name) {
                Some(l) => {
                    if !self.uses.contains(name) {
                        self.uses.push(name.clone());
                    }
                    Some(Rc::new(Closure { lambda: (**l).clone(), env: Env::new() }))
                }
                None => None,
            },
            _ => match self.form(callee, env)? {
                Out::Closure(pre, c) => {
                    bindings = pre;
                    Some(c)
                }
                Out::Value(v) => {
                    callee_value = Some(v);
                    None
                }
            },
        };
        let Some(c) = known else {
            if self.nesting > 0 {
                return None;
            }
            let callee = match callee_value {
                Some(v) => v,
                None => self.value(callee, env)?,
            };
            let kind = ExprKind::Call(Box::new(callee), self.values(args, env)?);
            return Some(Out::Value(Expr::new(kind, e.span)));
        };
        if c.lambda.rest.is_some()
            || c.lambda.params.len() != args.len()
            || self.nesting >= MAX_DEPTH
            || self.count >= MAX_INLINED
        {
            return None;
        }
        self.count += 1;
        let mut inner = c.env.clone();
        for (p, a) in c.lambda.params.iter().zip(args) {
            let value = self.form(a, env)?;
            self.bind_out(p, value, &mut bindings, &mut inner);
        }
        self.nesting += 1;
        self.depth = self.depth.max(self.nesting);
        let body = self.form(&c.lambda.body, &inner);
        self.nesting -= 1;
        Some(after(bindings, body?))
    }

    /// Binds `b` (a binding of the original) to `value`: a value gets a `let` of a fresh name
    /// in `bindings`; a known closure is recorded in `env`, after the bindings that build it.
    fn bind_out(&mut self, b: &Binding, value: Out, bindings: &mut Vec<(Binding, Expr)>, env: &mut Env) {
        match value {
            Out::Value(v) => {
                let b = self.bind(b, env);
                bindings.push((b, v));
            }
            Out::Closure(pre, c) => {
                bindings.extend(pre);
                env.insert(b.name.clone(), Sub::Known(c));
            }
        }
    }
}
