//! The resolver: gives every variable reference its final home — a local slot, a captured
//! value, a shared cell (only for variables captured *and* assigned, or visible to `eval`) or a
//! global index — marks tail positions, checks `recur`, and computes each function's
//! [`FnInfo`]. After it runs there is no name lookup left for the back ends to do.

use crate::core::{
    Binding, CaptureFrom, CaptureInfo, Expr, ExprKind, FnInfo, Lambda, LocalId, LocalInfo, MatchClause, Pattern, Prim,
    VarRef,
};
use crate::error::{ErrorKind, Result, SlightError};
use crate::expander::enter;
use crate::globals::GlobalNames;
use crate::sexp::SexpKind;

/// Most local slots one function may use (register operands are 16-bit, temporaries go above).
pub const MAX_SLOTS: usize = 30_000;

/// Names visible to code compiled by a run-time `eval`: each is a captured cell.
#[derive(Clone, Debug, Default)]
pub struct EvalEnv {
    pub names: Vec<String>,
}

struct FnScope {
    info: FnInfo,
    blocks: Vec<Vec<(String, LocalId)>>,
    active: u16,
}

struct Ctx {
    tail: bool,
    /// Inside a loop body at a position where `recur` may appear: the loop's arity.
    recur: Option<usize>,
    /// Inside any loop of this function (for a clearer error).
    in_loop: bool,
}

pub struct Resolver<'g> {
    globals: &'g mut GlobalNames,
    fns: Vec<FnScope>,
}

/// Resolves a top-level form. It becomes the body of a zero-argument "script" function whose
/// facts are returned. `env` makes extra names visible as captured cells (used by `eval`).
pub fn resolve_toplevel(expr: &mut Expr, globals: &mut GlobalNames, env: Option<&EvalEnv>) -> Result<FnInfo> {
    let mut info = FnInfo::default();
    if let Some(env) = env {
        for (i, name) in env.names.iter().enumerate() {
            info.captures.push(CaptureInfo { name: name.clone(), from: CaptureFrom::Capture(i as u32), boxed: true });
        }
    }
    let mut r = Resolver { globals, fns: vec![FnScope { info, blocks: Vec::new(), active: 0 }] };
    r.expr(expr, &Ctx { tail: true, recur: None, in_loop: false })?;
    let mut scope = r.fns.pop().expect("script scope");
    finish_locals(&mut scope.info);
    let info = scope.info;
    fix_captures(expr, &info);
    Ok(info)
}

fn finish_locals(info: &mut FnInfo) {
    for l in &mut info.locals {
        l.boxed = l.captured && l.assigned;
    }
}

/// Sets each capture's `boxed` flag from the enclosing function's final facts.
fn fix_captures(expr: &mut Expr, parent: &FnInfo) {
    walk_lambdas(expr, &mut |lambda: &mut Lambda| {
        for cap in &mut lambda.info.captures {
            cap.boxed = match cap.from {
                CaptureFrom::Local(id) => parent.locals[id as usize].boxed,
                CaptureFrom::Capture(i) => parent.captures[i as usize].boxed,
            };
        }
        let info = lambda.info.clone();
        fix_captures(&mut lambda.body, &info);
    });
}

/// Calls `f` on each lambda directly inside `expr` (not on lambdas nested inside those).
pub fn walk_lambdas(expr: &mut Expr, f: &mut dyn FnMut(&mut Lambda)) {
    match &mut expr.kind {
        ExprKind::Lambda(l) | ExprKind::DefMacro(_, l) => f(l),
        ExprKind::Const(_) | ExprKind::Var { .. } => {}
        ExprKind::Set { value, .. } | ExprKind::Define { value, .. } | ExprKind::Throw(value) => walk_lambdas(value, f),
        ExprKind::Eval(form, _) => walk_lambdas(form, f),
        ExprKind::If(a, b, c) => {
            walk_lambdas(a, f);
            walk_lambdas(b, f);
            walk_lambdas(c, f);
        }
        ExprKind::Call(callee, args) => {
            walk_lambdas(callee, f);
            args.iter_mut().for_each(|a| walk_lambdas(a, f));
        }
        ExprKind::Prim(_, args)
        | ExprKind::Seq(args)
        | ExprKind::And(args)
        | ExprKind::Or(args)
        | ExprKind::Recur(args) => args.iter_mut().for_each(|a| walk_lambdas(a, f)),
        ExprKind::Let(bindings, body) | ExprKind::Loop(bindings, body) => {
            bindings.iter_mut().for_each(|(_, e)| walk_lambdas(e, f));
            walk_lambdas(body, f);
        }
        ExprKind::Try { body, catch, finally } => {
            walk_lambdas(body, f);
            if let Some((_, h)) = catch {
                walk_lambdas(h, f);
            }
            if let Some(fin) = finally {
                walk_lambdas(fin, f);
            }
        }
        ExprKind::Match(value, clauses) => {
            walk_lambdas(value, f);
            for c in clauses {
                if let Some(g) = &mut c.guard {
                    walk_lambdas(g, f);
                }
                walk_lambdas(&mut c.body, f);
            }
        }
    }
}

fn err<T>(kind: ErrorKind, msg: impl Into<String>, span: crate::span::Span) -> Result<T> {
    Err(SlightError::new(kind, msg, span))
}

impl Resolver<'_> {
    fn cur(&mut self) -> &mut FnScope {
        self.fns.last_mut().expect("function scope")
    }

    /// True when a `def` here defines a global (top level, outside any local scope).
    fn at_top_level(&self) -> bool {
        self.fns.len() == 1 && self.fns[0].blocks.is_empty()
    }

    fn declare(&mut self, b: &mut Binding) -> Result<LocalId> {
        let scope = self.cur();
        let id = scope.info.locals.len() as LocalId;
        let slot = scope.active;
        if slot as usize >= MAX_SLOTS {
            return err(ErrorKind::Syntax, "too many local variables in one function", b.span);
        }
        scope.active += 1;
        scope.info.nslots = scope.info.nslots.max(scope.active);
        scope.info.locals.push(LocalInfo {
            name: b.name.clone(),
            slot,
            captured: false,
            assigned: false,
            boxed: false,
        });
        scope.blocks.last_mut().expect("block").push((b.name.clone(), id));
        b.local = id;
        Ok(id)
    }

    fn open_block(&mut self) -> u16 {
        let scope = self.cur();
        scope.blocks.push(Vec::new());
        scope.active
    }

    fn close_block(&mut self, saved: u16) {
        let scope = self.cur();
        scope.blocks.pop();
        scope.active = saved;
    }

    fn find_in(&self, fn_index: usize, name: &str) -> Option<LocalId> {
        self.fns[fn_index].blocks.iter().rev().find_map(|b| b.iter().rev().find(|(n, _)| n == name).map(|&(_, id)| id))
    }

    /// Resolves `name` as seen from function `fn_index`, creating captures as needed.
    /// `assign` marks the variable as assigned.
    fn lookup(&mut self, fn_index: usize, name: &str, assign: bool) -> Option<VarRef> {
        if let Some(id) = self.find_in(fn_index, name) {
            if assign {
                self.fns[fn_index].info.locals[id as usize].assigned = true;
            }
            return Some(VarRef::Local(id));
        }
        if let Some(i) = self.fns[fn_index].info.captures.iter().position(|c| c.name == name) {
            if assign {
                self.mark_capture_assigned(fn_index, i as u32);
            }
            return Some(VarRef::Capture(i as u32));
        }
        if fn_index == 0 {
            return None;
        }
        let outer = self.lookup(fn_index - 1, name, assign)?;
        let from = match outer {
            VarRef::Local(id) => {
                self.fns[fn_index - 1].info.locals[id as usize].captured = true;
                CaptureFrom::Local(id)
            }
            VarRef::Capture(i) => CaptureFrom::Capture(i),
            _ => return None,
        };
        let caps = &mut self.fns[fn_index].info.captures;
        caps.push(CaptureInfo { name: name.to_string(), from, boxed: false });
        Some(VarRef::Capture((caps.len() - 1) as u32))
    }

    fn mark_capture_assigned(&mut self, fn_index: usize, cap: u32) {
        match self.fns[fn_index].info.captures[cap as usize].from {
            CaptureFrom::Local(id) if fn_index > 0 => {
                let l = &mut self.fns[fn_index - 1].info.locals[id as usize];
                l.assigned = true;
                l.captured = true;
            }
            CaptureFrom::Capture(i) if fn_index > 0 => self.mark_capture_assigned(fn_index - 1, i),
            _ => {} // an eval environment cell: always boxed
        }
    }

    fn resolve_var(&mut self, name: &str, assign: bool) -> VarRef {
        let top = self.fns.len() - 1;
        match self.lookup(top, name, assign) {
            Some(v) => v,
            None => VarRef::Global(self.globals.intern(name)),
        }
    }

    fn is_local(&self, name: &str) -> bool {
        (0..self.fns.len())
            .any(|i| self.find_in(i, name).is_some() || self.fns[i].info.captures.iter().any(|c| c.name == name))
    }

    /// Pre-declares the `def`s that are direct children of a body, so functions defined in a
    /// body can call each other.
    fn predeclare(&mut self, body: &mut Expr) -> Result<()> {
        let forms: Vec<&mut Expr> = match &mut body.kind {
            ExprKind::Seq(items) => items.iter_mut().collect(),
            _ => vec![body],
        };
        for e in forms {
            if let ExprKind::Define { binding, .. } = &mut e.kind {
                if self.find_in(self.fns.len() - 1, &binding.name).is_none()
                    || !self.cur().blocks.last().is_some_and(|b| b.iter().any(|(n, _)| *n == binding.name))
                {
                    self.declare(binding)?;
                }
            }
        }
        Ok(())
    }

    fn body(&mut self, body: &mut Expr, ctx: &Ctx) -> Result<()> {
        self.predeclare(body)?;
        self.expr(body, ctx)
    }

    /// Resolves one expression, one nesting level deeper. The expander already bounds the
    /// nesting of what it produces; this check also covers the chains this pass builds itself
    /// (folded arithmetic), so the back ends' recursion on the result stays bounded.
    fn expr(&mut self, e: &mut Expr, ctx: &Ctx) -> Result<()> {
        let _level = enter(e.span)?;
        self.expr_inner(e, ctx)?;
        e.assigns_locals = e.compute_assigns_locals();
        Ok(())
    }

    // Each kind of expression has its own function so that this dispatcher, which is on the
    // resolver's recursion path, keeps a small stack frame in unoptimised builds.
    fn expr_inner(&mut self, e: &mut Expr, ctx: &Ctx) -> Result<()> {
        e.tail = ctx.tail;
        match e.kind {
            ExprKind::Var { .. } => return self.var_expr(e),
            ExprKind::Call(..) => return self.call_expr(e, ctx),
            _ => {}
        }
        let value = Ctx { tail: false, recur: None, in_loop: ctx.in_loop };
        let span = e.span;
        match &mut e.kind {
            ExprKind::Const(_) | ExprKind::Var { .. } | ExprKind::Call(..) => Ok(()),
            ExprKind::Set { name, var, value: v } => {
                // `(set! obj.slot v)` on a local object sets the slot: `(object/set! obj "slot" v)`.
                if let Some((obj, field)) = name.split_once('.').filter(|(o, f)| !o.is_empty() && !f.is_empty()) {
                    if !self.is_local(name) && self.is_local(obj) {
                        let (obj, field) = (obj.to_string(), field.to_string());
                        let span = e.span;
                        let target = Expr::new(ExprKind::Var { name: obj, var: VarRef::Unresolved }, span);
                        let setter =
                            Expr::new(ExprKind::Var { name: "object/set!".into(), var: VarRef::Unresolved }, span);
                        let value_expr = std::mem::replace(&mut **v, Expr::nil(span));
                        let args = vec![target, Expr::constant(SexpKind::Str(field), span), value_expr];
                        e.kind = ExprKind::Call(Box::new(setter), args);
                        return self.expr(e, ctx);
                    }
                }
                self.expr(v, &value)?;
                *var = self.resolve_var(name, true);
                Ok(())
            }
            ExprKind::Define { binding, var, value: v } => self.define_expr(binding, var, v, &value),
            ExprKind::If(c, t, f) => {
                self.expr(c, &value)?;
                self.expr(t, ctx)?;
                self.expr(f, ctx)
            }
            ExprKind::Lambda(lambda) | ExprKind::DefMacro(_, lambda) => self.lambda(lambda),
            ExprKind::Prim(_, args) => self.exprs(args, &value),
            ExprKind::Seq(items) => self.seq_expr(items, ctx, &value),
            ExprKind::And(items) | ExprKind::Or(items) => self.and_or_expr(items, ctx),
            ExprKind::Let(bindings, body) => self.let_expr(bindings, body, ctx, &value),
            ExprKind::Loop(bindings, body) => {
                let n = bindings.len();
                let body_ctx = Ctx { tail: ctx.tail, recur: Some(n), in_loop: true };
                self.let_expr(bindings, body, &body_ctx, &value)
            }
            ExprKind::Recur(args) => self.recur_expr(args, ctx, &value, span),
            ExprKind::Try { body, catch, finally } => self.try_expr(body, catch, finally, &value),
            ExprKind::Throw(v) => self.expr(v, &value),
            ExprKind::Match(v, clauses) => self.match_expr(v, clauses, ctx, &value),
            ExprKind::Eval(form, env) => self.eval_expr(form, env, &value),
        }
    }

    fn exprs(&mut self, items: &mut [Expr], ctx: &Ctx) -> Result<()> {
        for item in items {
            self.expr(item, ctx)?;
        }
        Ok(())
    }

    fn var_expr(&mut self, e: &mut Expr) -> Result<()> {
        let span = e.span;
        let ExprKind::Var { name, var } = &mut e.kind else { unreachable!("checked by the caller") };
        let top = self.fns.len() - 1;
        if let Some(v) = self.lookup(top, name, false) {
            *var = v;
        } else if let Some((obj, field)) = name.split_once('.').filter(|(o, f)| !o.is_empty() && !f.is_empty()) {
            if self.is_local(obj) {
                let obj_var = self.resolve_var(obj, false);
                let target = Expr::new(ExprKind::Var { name: obj.to_string(), var: obj_var }, span);
                let field = Expr::constant(SexpKind::Str(field.to_string()), span);
                e.kind = ExprKind::Prim(Prim::Field, vec![target, field]);
                return Ok(());
            }
            *var = VarRef::Global(self.globals.intern(name));
        } else {
            *var = VarRef::Global(self.globals.intern(name));
        }
        Ok(())
    }

    fn call_expr(&mut self, e: &mut Expr, ctx: &Ctx) -> Result<()> {
        let span = e.span;
        let ExprKind::Call(callee, args) = &mut e.kind else { unreachable!("checked by the caller") };
        if let ExprKind::Var { name, .. } = &callee.kind {
            if !self.is_local(name) && !self.globals.is_user_defined(name) {
                if let Some(prim) = Self::prim_call(name, args.len()) {
                    let args = std::mem::take(args);
                    e.kind = fold_prim(prim, name, args, span);
                    return self.expr_inner(e, ctx);
                }
            }
        }
        let value = Ctx { tail: false, recur: None, in_loop: ctx.in_loop };
        self.expr(callee, &value)?;
        self.exprs(args, &value)
    }

    fn define_expr(&mut self, binding: &mut Binding, var: &mut VarRef, v: &mut Expr, value: &Ctx) -> Result<()> {
        if self.at_top_level() {
            let index = self.globals.intern(&binding.name);
            let was_user_defined = self.globals.is_user_defined(&binding.name);
            self.globals.mark_user_defined(index);
            *var = VarRef::Global(index);
            let result = self.expr(v, value);
            if result.is_err() && !was_user_defined {
                // A definition that does not compile must not stop core operators being inlined.
                self.globals.unmark_user_defined(index);
            }
            return result;
        }
        let top = self.fns.len() - 1;
        let in_this_block =
            self.cur().blocks.last().and_then(|b| b.iter().rev().find(|(n, _)| *n == binding.name)).map(|&(_, id)| id);
        let id = match in_this_block {
            Some(id) => id,
            None => {
                // Not a direct child of a body: declared where it stands. Resolve the value
                // first, in case it refers to an outer binding of the same name.
                self.expr(v, value)?;
                let id = self.declare(binding)?;
                self.fns[top].info.locals[id as usize].assigned = true;
                *var = VarRef::Local(id);
                return Ok(());
            }
        };
        binding.local = id;
        self.fns[top].info.locals[id as usize].assigned = true;
        *var = VarRef::Local(id);
        self.expr(v, value)
    }

    fn seq_expr(&mut self, items: &mut [Expr], ctx: &Ctx, value: &Ctx) -> Result<()> {
        let n = items.len();
        for (i, item) in items.iter_mut().enumerate() {
            if i + 1 == n {
                self.expr(item, ctx)?;
            } else {
                self.expr(item, value)?;
            }
        }
        Ok(())
    }

    fn and_or_expr(&mut self, items: &mut [Expr], ctx: &Ctx) -> Result<()> {
        let n = items.len();
        for (i, item) in items.iter_mut().enumerate() {
            let c = if i + 1 == n {
                Ctx { tail: ctx.tail, recur: ctx.recur, in_loop: ctx.in_loop }
            } else {
                Ctx { tail: false, recur: None, in_loop: ctx.in_loop }
            };
            self.expr(item, &c)?;
        }
        Ok(())
    }

    /// `let` and `loop`: `body_ctx` is the context of the body.
    fn let_expr(
        &mut self,
        bindings: &mut [(Binding, Expr)],
        body: &mut Expr,
        body_ctx: &Ctx,
        value: &Ctx,
    ) -> Result<()> {
        let saved = self.open_block();
        for (b, init) in bindings.iter_mut() {
            self.expr(init, value)?;
            self.declare(b)?;
        }
        self.body(body, body_ctx)?;
        self.close_block(saved);
        Ok(())
    }

    fn recur_expr(&mut self, args: &mut [Expr], ctx: &Ctx, value: &Ctx, span: crate::span::Span) -> Result<()> {
        match ctx.recur {
            None if ctx.in_loop => return err(ErrorKind::Syntax, "recur must be in tail position of its loop", span),
            None => return err(ErrorKind::Syntax, "recur outside of loop", span),
            Some(n) if n != args.len() => {
                return err(
                    ErrorKind::Syntax,
                    format!("recur expects {n} arguments (the loop's bindings), got {}", args.len()),
                    span,
                )
            }
            Some(_) => {}
        }
        self.exprs(args, value)
    }

    fn try_expr(
        &mut self,
        body: &mut Expr,
        catch: &mut Option<(Binding, Box<Expr>)>,
        finally: &mut Option<Box<Expr>>,
        value: &Ctx,
    ) -> Result<()> {
        let saved = self.open_block();
        self.body(body, value)?;
        self.close_block(saved);
        if let Some((b, handler)) = catch {
            let saved = self.open_block();
            self.declare(b)?;
            self.body(handler, value)?;
            self.close_block(saved);
        }
        if let Some(fin) = finally {
            let saved = self.open_block();
            self.body(fin, value)?;
            self.close_block(saved);
        }
        Ok(())
    }

    fn match_expr(&mut self, v: &mut Expr, clauses: &mut [MatchClause], ctx: &Ctx, value: &Ctx) -> Result<()> {
        self.expr(v, value)?;
        for clause in clauses {
            let saved = self.open_block();
            self.pattern(&mut clause.pattern)?;
            if let Some(g) = &mut clause.guard {
                self.expr(g, value)?;
            }
            self.body(&mut clause.body, ctx)?;
            self.close_block(saved);
        }
        Ok(())
    }

    fn eval_expr(&mut self, form: &mut Expr, env: &mut Vec<(String, VarRef)>, value: &Ctx) -> Result<()> {
        self.expr(form, value)?;
        let top = self.fns.len() - 1;
        let mut names: Vec<String> = Vec::new();
        for f in 0..=top {
            for b in &self.fns[f].blocks {
                for (n, _) in b {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
            }
            for c in &self.fns[f].info.captures {
                if !names.contains(&c.name) {
                    names.push(c.name.clone());
                }
            }
        }
        for name in names {
            let v = self.resolve_var(&name, true);
            if let VarRef::Local(id) = v {
                self.fns[top].info.locals[id as usize].captured = true;
            }
            env.push((name, v));
        }
        Ok(())
    }

    fn prim_call(name: &str, argc: usize) -> Option<Prim> {
        match (name, argc) {
            // Longer calls stay calls of the variadic builtin: folding them would build a
            // chain of primitives as deep as the argument list is long.
            ("+" | "*" | "-", n) if n > MAX_FOLDED_ARGS => None,
            ("+" | "*", n) if n > 2 => Prim::for_call(name, 2),
            ("-", n) if n > 2 => Some(Prim::Sub),
            _ => Prim::for_call(name, argc),
        }
    }

    fn pattern(&mut self, p: &mut Pattern) -> Result<()> {
        match p {
            Pattern::Wildcard | Pattern::Literal(_) => {}
            Pattern::Bind(b) => {
                self.declare(b)?;
            }
            Pattern::List(items) => {
                for i in items {
                    self.pattern(i)?;
                }
            }
            Pattern::Cons(items, rest) => {
                for i in items {
                    self.pattern(i)?;
                }
                self.pattern(rest)?;
            }
        }
        Ok(())
    }

    fn lambda(&mut self, lambda: &mut Lambda) -> Result<()> {
        self.fns.push(FnScope { info: FnInfo::default(), blocks: vec![Vec::new()], active: 0 });
        for p in lambda.params.iter_mut() {
            self.declare(p)?;
        }
        if let Some(r) = &mut lambda.rest {
            self.declare(r)?;
        }
        self.body(&mut lambda.body, &Ctx { tail: true, recur: None, in_loop: false })?;
        let mut scope = self.fns.pop().expect("lambda scope");
        finish_locals(&mut scope.info);
        lambda.info = scope.info;
        Ok(())
    }
}

/// Most arguments of a `+`, `*` or `-` call that is folded into binary primitives.
const MAX_FOLDED_ARGS: usize = 4;

/// `(+ a b c)` → `(+ (+ a b) c)`: variadic arithmetic folds into binary primitives.
fn fold_prim(prim: Prim, name: &str, args: Vec<Expr>, span: crate::span::Span) -> ExprKind {
    if args.len() <= 2 || !matches!(name, "+" | "*" | "-") {
        return ExprKind::Prim(prim, args);
    }
    let mut it = args.into_iter();
    let first = it.next().expect("arg");
    let mut acc = first;
    for next in it {
        acc = Expr::new(ExprKind::Prim(prim, vec![acc, next]), span);
    }
    acc.kind
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expander::{expand, NoMacros};
    use crate::reader::Reader;

    fn resolve(src: &str) -> (Expr, FnInfo) {
        let form = Reader::read_all(src, 0).unwrap().remove(0);
        let mut e = expand(&form, &mut NoMacros).unwrap();
        let mut g = GlobalNames::new();
        let info = resolve_toplevel(&mut e, &mut g, None).unwrap();
        (e, info)
    }

    fn lambda_of(e: &Expr) -> &Lambda {
        match &e.kind {
            ExprKind::Define { value, .. } => lambda_of(value),
            ExprKind::Lambda(l) => l,
            _ => panic!("no lambda in {e:?}"),
        }
    }

    #[test]
    fn captured_and_assigned_gets_a_cell_captured_only_does_not() {
        let (e, _) = resolve("(defun f (a b) (fun () (set! a (+ a b))))");
        let f = lambda_of(&e);
        assert!(f.info.locals[0].boxed, "a is captured and assigned");
        assert!(!f.info.locals[1].boxed, "b is only captured");
        let inner = lambda_of(&f.body);
        assert_eq!(inner.info.captures.len(), 2);
        assert!(inner.info.captures[0].boxed);
        assert!(!inner.info.captures[1].boxed);
    }

    #[test]
    fn globals_tail_positions_and_prims() {
        let (e, _) = resolve("(defun f (n) (if (< n 2) n (g (- n 1))))");
        let f = lambda_of(&e);
        let ExprKind::If(c, t, el) = &f.body.kind else { panic!() };
        assert!(matches!(c.kind, ExprKind::Prim(Prim::Lt, _)));
        assert!(t.tail && el.tail && !c.tail);
        let ExprKind::Call(callee, _) = &el.kind else { panic!() };
        assert!(matches!(callee.kind, ExprKind::Var { var: VarRef::Global(_), .. }));
    }

    #[test]
    fn recur_must_be_in_tail_position() {
        let form = Reader::read_all("(loop ((i 0)) (+ 1 (recur i)))", 0).unwrap().remove(0);
        let mut e = expand(&form, &mut NoMacros).unwrap();
        let err = resolve_toplevel(&mut e, &mut GlobalNames::new(), None).unwrap_err();
        assert_eq!(err.message, "recur must be in tail position of its loop");
    }

    #[test]
    fn eval_boxes_visible_locals() {
        let (e, _) = resolve("(defun f (x) (eval '(set! x 1)) x)");
        let f = lambda_of(&e);
        assert!(f.info.locals[0].boxed);
    }
}
