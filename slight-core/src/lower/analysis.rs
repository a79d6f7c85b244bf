//! Analyses of a whole compiled program that pick what the lowering does, over resolved Core
//! Forms and nothing else (the compiled path's driver, `slight-runtime/src/native/driver.rs`,
//! runs them on the program's top-level forms):
//!
//! - [`typed_functions`]: which fully typed `defun`s lower to native Rust functions;
//! - [`known_functions`]: top-level functions defined once and never assigned (direct calls);
//! - [`specialized_functions`]: which untyped known functions also get a version specialized
//!   for integer arguments, with the return type each is inferred to have;
//! - [`impossible_calls`]: calls of a function or builtin with an impossible number of
//!   arguments (compile errors of `slight!` blocks);
//! - reachability and name collection ([`reachable_calls`], [`collect_globals`],
//!   [`collect_assigned`], [`walk`]).

use super::dynamic::MAX_DIRECT_PARAMS;
use super::{
    inline, lower_speculative, lower_typed_fn_items, rt_path, signature, speculative_name, FnSig, Options, Rt,
    Signatures, Speculation,
};
use crate::core::{Expr, ExprKind, Type, VarRef};
use crate::globals::GlobalNames;
use crate::resolver::resolve_toplevel;
use crate::sexp::Sexp;
use crate::span::Span;
use std::collections::{HashMap, HashSet};

/// A called global, for [`impossible_calls`]'s `message`.
#[derive(Clone, Copy, Debug)]
pub enum Callee<'a> {
    /// A function the program defines exactly once and never assigns: `min` parameters, at
    /// most `max` arguments (`None`: variadic).
    Defined {
        /// The function's name.
        name: &'a str,
        /// Its number of required parameters.
        min: usize,
        /// Most arguments it takes (`None`: a rest parameter).
        max: Option<usize>,
    },
    /// Any other global the program does not assign (perhaps a builtin).
    Global(&'a str),
}

/// The typed top-level functions that lower natively: candidates are all fully typed
/// `defun`s; any that fails to lower is dropped and the rest are tried again, so a typed
/// function only calls natively the typed functions that really are native.
pub fn typed_functions(exprs: &[&Expr], rt: &[String]) -> (Signatures, Vec<(String, Vec<Sexp>)>) {
    let lower_opts = Options {
        overflow_hook: rt_path(rt, Rt::checked, &[], Span::default()),
        depth_hook: Some(rt_path(rt, Rt::deeper, &[], Span::default())),
        tick_hook: Some(rt_path(rt, Rt::typed_tick, &[], Span::default())),
    };
    let mut sigs = Signatures::new();
    for e in exprs.iter().copied() {
        if let Ok((name, sig)) = signature(e) {
            sigs.insert(name, sig);
        }
    }
    loop {
        let mut items = Vec::new();
        let mut failed = Vec::new();
        for e in exprs.iter().copied() {
            let Ok((name, _)) = signature(e) else { continue };
            if !sigs.contains_key(&name) {
                continue;
            }
            match lower_typed_fn_items(e, &sigs, &lower_opts) {
                Ok(fn_items) => items.push((name, fn_items)),
                Err(_) => failed.push(name),
            }
        }
        if failed.is_empty() {
            return (sigs, items);
        }
        for f in failed {
            sigs.remove(&f);
        }
    }
}

/// The known untyped functions that also get a version specialized for integer arguments
/// ([`lower_speculative`]): (name, item, the known functions it assumes).
///
/// Parameters are assumed `i64`; return types are inferred by iteration: each candidate
/// starts with the type its body gives when calls of candidates are left untyped (or
/// `i64`), a body that gives another type changes the assumption (each type is tried
/// once), and a body outside the subset drops the candidate, so that its callers are
/// dropped in the next round.
pub fn specialized_functions(
    exprs: &[&Expr],
    names: &GlobalNames,
    rt: &[String],
    known: &[(String, usize)],
    typed: &HashSet<String>,
) -> Vec<(String, Sexp, Vec<String>)> {
    let direct: HashSet<&str> = known
        .iter()
        .filter(|(name, n)| *n <= MAX_DIRECT_PARAMS && !typed.contains(name))
        .map(|(name, _)| name.as_str())
        .collect();
    // A candidate that builds closures and only calls them is specialized with them
    // inlined (`lower::inline`): name → (inlined definition, resolved; constructors used).
    let is_known = |name: &str| known.iter().any(|(k, _)| k == name);
    let ctors = inline::closure_constructors(exprs.iter().copied(), &is_known);
    let mut inlined: HashMap<String, inline::Inlined> = HashMap::new();
    let mut candidates: HashMap<String, (&Expr, Vec<Type>)> = HashMap::new();
    for e in exprs.iter().copied() {
        let ExprKind::Define { binding, var: VarRef::Global(_), value } = &e.kind else { continue };
        let ExprKind::Lambda(l) = &value.kind else { continue };
        let untyped = l.params.iter().all(|p| p.ty.is_none()) && l.ret.is_none() && l.rest.is_none();
        if !untyped || !direct.contains(binding.name.as_str()) {
            continue;
        }
        candidates.insert(binding.name.clone(), (e, vec![Type::I64]));
        if let Some(mut x) = inline::inline_closures(e, &ctors) {
            // Resolved against a copy of the global names: nothing new is defined.
            if resolve_toplevel(&mut x.def, &mut names.clone(), None).is_ok() {
                inlined.insert(binding.name.clone(), x);
            }
        }
    }
    for (name, (e, _)) in candidates.iter_mut() {
        if let Some(x) = inlined.get(name) {
            *e = &x.def;
        }
    }
    let reserve: HashMap<String, u32> = inlined.iter().map(|(name, x)| (name.clone(), x.depth)).collect();
    let arity = |e: &Expr| match &e.kind {
        ExprKind::Define { value, .. } => match &value.kind {
            ExprKind::Lambda(l) => l.params.len(),
            _ => 0,
        },
        _ => 0,
    };
    // The candidates with their current guesses; with `unknown`, calls of candidates give
    // no type.
    let assume = |candidates: &HashMap<String, (&Expr, Vec<Type>)>, unknown: bool| {
        let spec = Speculation {
            rt: rt.to_vec(),
            fns: candidates.keys().map(|n| (n.clone(), speculative_name(n))).collect(),
            unknown_ret: if unknown { candidates.keys().cloned().collect() } else { HashSet::new() },
            reserve: reserve.clone(),
        };
        let sigs: Signatures = candidates
            .iter()
            .map(|(name, (e, tried))| {
                let ret = *tried.last().expect("a guess");
                (name.clone(), FnSig { params: vec![Type::I64; arity(e)], ret })
            })
            .collect();
        (spec, sigs)
    };
    // First guesses: the type a body gives when calls of candidates give no type (a
    // body whose value is such a call, or that needs one as an operand, guesses i64).
    let (spec, sigs) = assume(&candidates, true);
    for (e, tried) in candidates.values_mut() {
        if let Ok((_, Some(t))) = lower_speculative(e, &sigs, &spec) {
            *tried = vec![t];
        }
    }
    // Each round either settles or changes a guess (at most 3 per candidate) or drops one.
    for _ in 0..=4 * candidates.len() {
        let mut names: Vec<String> = candidates.keys().cloned().collect();
        names.sort();
        let (spec, sigs) = assume(&candidates, false);
        let mut settled = Vec::new();
        let mut changed = false;
        for name in &names {
            let (e, tried) = candidates.get_mut(name).expect("a candidate");
            let guess = *tried.last().expect("a guess");
            match lower_speculative(e, &sigs, &spec) {
                Ok((item, Some(t))) if t == guess => settled.push((name.clone(), item)),
                Ok((_, Some(t))) if !tried.contains(&t) => {
                    tried.push(t);
                    changed = true;
                }
                _ => {
                    candidates.remove(name);
                    changed = true;
                }
            }
        }
        if changed {
            continue;
        }
        return settled
            .into_iter()
            .map(|(name, item)| {
                let mut assumes = reachable_calls(&name, &candidates);
                for f in assumes.clone() {
                    assumes.extend(inlined.get(&f).map(|x| x.uses.clone()).unwrap_or_default());
                }
                assumes.sort();
                assumes.dedup();
                (name, item, assumes)
            })
            .collect();
    }
    Vec::new()
}

/// For `slight!` blocks: a call of a builtin or of a function defined once in the block,
/// with a number of arguments it cannot take, is a compile error (the message the VM would
/// raise when the call runs). Names the block assigns or defines twice are not checked.
/// Whole programs (`build.rs`, the parity suite) keep the VM's run-time error instead, so
/// that they behave the same on both paths.
pub fn impossible_calls(exprs: &[&Expr], message: &dyn Fn(Callee, usize) -> Option<String>) -> Vec<(Span, String)> {
    let mut defs: HashMap<String, (usize, usize)> = Default::default();
    let mut unstable: HashSet<String> = HashSet::new();
    for e in exprs.iter().copied() {
        collect_assigned(e, &mut unstable);
        if let ExprKind::Define { binding, var: VarRef::Global(_), value } = &e.kind {
            if let ExprKind::Lambda(l) = &value.kind {
                let max = if l.rest.is_some() { usize::MAX } else { l.params.len() };
                if defs.insert(binding.name.clone(), (l.params.len(), max)).is_some() {
                    unstable.insert(binding.name.clone());
                }
            } else {
                unstable.insert(binding.name.clone());
            }
        }
    }
    let mut result = Vec::new();
    for e in exprs.iter().copied() {
        walk(e, &mut |call| {
            let ExprKind::Call(callee, args) = &call.kind else { return };
            let ExprKind::Var { name, var: VarRef::Global(_) } = &callee.kind else { return };
            if unstable.contains(name) {
                return;
            }
            let argc = args.len();
            let callee = match defs.get(name) {
                Some(&(min, max)) => Callee::Defined { name, min, max: (max != usize::MAX).then_some(max) },
                None => Callee::Global(name),
            };
            if let Some(m) = message(callee, argc) {
                result.push((call.span, m));
            }
        });
    }
    result
}

/// Top-level functions defined exactly once (with a fixed number of parameters) and never
/// assigned: calls of them can go straight to their code.
pub fn known_functions(exprs: &[&Expr]) -> Vec<(String, usize)> {
    let mut count: HashMap<&str, (usize, Option<usize>)> = Default::default();
    let mut assigned = HashSet::new();
    for e in exprs.iter().copied() {
        collect_assigned(e, &mut assigned);
        if let ExprKind::Define { binding, var: VarRef::Global(_), value } = &e.kind {
            let arity = match &value.kind {
                ExprKind::Lambda(l) if l.rest.is_none() => Some(l.params.len()),
                _ => None,
            };
            let entry = count.entry(binding.name.as_str()).or_insert((0, arity));
            entry.0 += 1;
        }
    }
    let mut out: Vec<(String, usize)> = count
        .into_iter()
        .filter(|(name, (n, arity))| *n == 1 && arity.is_some() && !assigned.contains(*name))
        .map(|(name, (_, arity))| (name.to_string(), arity.expect("filtered")))
        .collect();
    out.sort();
    out
}

/// Calls `f` on `e` and every form inside it, function bodies included.
pub fn walk(e: &Expr, f: &mut dyn FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Lambda(l) | ExprKind::DefMacro(_, l) => walk(&l.body, f),
        _ => {}
    }
    for c in e.children() {
        walk(c, f);
    }
}

/// `name` and the functions among `fns` it calls, directly or through them, sorted.
pub fn reachable_calls<T>(name: &str, fns: &HashMap<String, (&Expr, T)>) -> Vec<String> {
    let mut seen: Vec<String> = vec![name.to_string()];
    let mut i = 0;
    while i < seen.len() {
        if let Some((e, _)) = fns.get(&seen[i]) {
            let mut called = Vec::new();
            walk(e, &mut |x| {
                if let ExprKind::Call(callee, _) = &x.kind {
                    if let ExprKind::Var { name, var: VarRef::Global(_) } = &callee.kind {
                        if fns.contains_key(name) {
                            called.push(name.clone());
                        }
                    }
                }
            });
            for c in called {
                if !seen.contains(&c) {
                    seen.push(c);
                }
            }
        }
        i += 1;
    }
    seen.sort();
    seen
}

/// Global names assigned with `set!` anywhere in `e`.
pub fn collect_assigned(e: &Expr, out: &mut HashSet<String>) {
    walk(e, &mut |x| {
        if let ExprKind::Set { name, var: VarRef::Global(_), .. } = &x.kind {
            out.insert(name.clone());
        }
    });
}

/// Global names read anywhere in `e`, function bodies included.
pub fn collect_globals(e: &Expr, out: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Var { name, var: VarRef::Global(_) } => {
            out.insert(name.clone());
        }
        ExprKind::Lambda(l) => collect_globals(&l.body, out),
        ExprKind::DefMacro(_, l) => collect_globals(&l.body, out),
        _ => {}
    }
    for c in e.children() {
        collect_globals(c, out);
    }
}
