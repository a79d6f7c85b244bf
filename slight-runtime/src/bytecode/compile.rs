//! The bytecode compiler: resolved Core Forms → [`Proto`] for the register VM.
//!
//! Locals live in the registers the resolver assigned (`0..nslots`); temporaries are allocated
//! above them in stack order. Each `expr` call compiles an expression into a destination
//! register. The match over [`ExprKind`] is exhaustive: a Core Form this back end does not
//! handle is a compile error of the Rust crate, not a gap at run time.

use crate::bytecode::{CaptureSrc, Instr, Proto, Reg};
use crate::convert::sexp_to_value;
use crate::value::Value;
use slight_core::core::{Binding, CaptureFrom, FnInfo, Lambda, MatchClause, Pattern, VarRef};
use slight_core::{Expr, ExprKind, Prim, SlightError, Span, Type};
use std::collections::HashSet;
use std::rc::Rc;

/// Most registers one function may use.
const MAX_REGS: usize = u16::MAX as usize - 1;

struct FnCompiler<'a> {
    info: &'a FnInfo,
    proto: Proto,
    /// Next free temporary register.
    top: usize,
    /// Locals already given their (cell) home at the start of their body.
    predeclared: HashSet<u32>,
    loops: Vec<LoopInfo>,
    span: Span,
    /// Fused compare-and-jump instructions have 16-bit offsets; a function whose branches are
    /// too long for them is compiled again with plain (32-bit) conditional jumps.
    wide_jumps: bool,
    /// `%receive` is the builtin (user code has not redefined it): `receive` compiles inline.
    inline_receive: bool,
}

/// The message of the error that makes a function compile again with wide jumps.
const JUMP_TOO_FAR: &str = "function too large: jump out of range";

struct LoopInfo {
    start: usize,
    slots: Vec<(Reg, bool)>,
}

type CResult<T> = Result<T, SlightError>;

/// Compiles a resolved top-level form into a zero-argument script function. `inline_receive`:
/// the global `%receive` is still the builtin, so `receive` forms may compile to the inline
/// receive instructions (like the core operators, this is decided when the code is compiled).
pub fn compile_toplevel(expr: &Expr, info: &FnInfo, eval_captures: usize, inline_receive: bool) -> CResult<Rc<Proto>> {
    with_jump_fallback(|wide| {
        let mut c = FnCompiler::new(info, expr.span);
        c.wide_jumps = wide;
        c.inline_receive = inline_receive;
        c.proto.name = Some("<toplevel>".into());
        c.proto.captures = (0..eval_captures).map(|i| CaptureSrc::Capture(i as u16)).collect();
        let r = c.alloc()?;
        c.body(expr, r)?;
        c.emit(Instr::Return { src: r as Reg }, expr.span);
        Ok(Rc::new(c.finish()?))
    })
}

/// Compiles with fused (narrow) jumps, and once more with wide jumps if a branch was too long.
fn with_jump_fallback(compile: impl Fn(bool) -> CResult<Rc<Proto>>) -> CResult<Rc<Proto>> {
    match compile(false) {
        Err(e) if e.message == JUMP_TOO_FAR => compile(true),
        other => other,
    }
}

impl<'a> FnCompiler<'a> {
    fn new(info: &'a FnInfo, span: Span) -> Self {
        let nslots = info.nslots as usize;
        FnCompiler {
            info,
            proto: Proto { span, ..Default::default() },
            top: nslots,
            predeclared: HashSet::new(),
            loops: Vec::new(),
            span,
            wide_jumps: false,
            inline_receive: false,
        }
    }

    fn finish(mut self) -> CResult<Proto> {
        self.proto.nregs = self.proto.nregs.max(self.top as u16).max(self.info.nslots);
        // Peephole: a jump to a return is that return.
        for pc in 0..self.proto.code.len() {
            if let Instr::Jump { offset } = self.proto.code[pc] {
                let target = (pc as i64 + 1 + offset as i64) as usize;
                if let Some(ret @ Instr::Return { .. }) = self.proto.code.get(target).copied() {
                    self.proto.code[pc] = ret;
                }
            }
        }
        // The VM skips register bounds checks; this is what makes that sound.
        self.proto.verify().map_err(|m| SlightError::syntax(format!("internal compiler error: {m}"), self.span))?;
        Ok(self.proto)
    }

    fn emit(&mut self, ins: Instr, span: Span) -> usize {
        self.proto.code.push(ins);
        self.proto.spans.push(span);
        self.proto.code.len() - 1
    }

    fn alloc(&mut self) -> CResult<usize> {
        let r = self.top;
        if r >= MAX_REGS {
            return Err(SlightError::syntax("function too large: out of registers", self.span));
        }
        self.top += 1;
        self.proto.nregs = self.proto.nregs.max(self.top as u16);
        Ok(r)
    }

    fn constant(&mut self, v: Value) -> u32 {
        self.proto.consts.push(v);
        (self.proto.consts.len() - 1) as u32
    }

    fn here(&self) -> usize {
        self.proto.code.len()
    }

    /// Points the jump at `at` to the current position.
    fn patch(&mut self, at: usize) -> CResult<()> {
        let offset = self.here() as i64 - at as i64 - 1;
        if !self.proto.code[at].set_jump_offset(offset) {
            return Err(SlightError::syntax(JUMP_TOO_FAR, self.span));
        }
        Ok(())
    }

    fn local_slot(&self, id: u32) -> (Reg, bool) {
        let l = &self.info.locals[id as usize];
        (l.slot, l.boxed)
    }

    /// Compiles `e` and returns a register holding its value: the local's own slot for a plain
    /// local (no copy), otherwise a fresh temporary.
    fn operand(&mut self, e: &Expr) -> CResult<Reg> {
        if let ExprKind::Var { var: VarRef::Local(id), .. } = e.kind {
            let (slot, boxed) = self.local_slot(id);
            if !boxed {
                return Ok(slot);
            }
        }
        let r = self.alloc()?;
        self.expr(e, r)?;
        Ok(r as Reg)
    }

    /// Compiles operands left to right into registers. A plain local is used in place unless
    /// a later operand may assign it (then its current value is copied first, so evaluation
    /// order is kept: `(+ x (begin (set! x 10) x))` adds the old `x`).
    fn operands(&mut self, args: &[Expr]) -> CResult<Vec<Reg>> {
        let mut regs = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let clobbered = match a.kind {
                ExprKind::Var { var: VarRef::Local(id), .. } => {
                    args[i + 1..].iter().any(|later| later.may_assign_local(id))
                }
                _ => false,
            };
            if clobbered {
                let r = self.alloc()?;
                self.expr(a, r)?;
                regs.push(r as Reg);
            } else {
                regs.push(self.operand(a)?);
            }
        }
        Ok(regs)
    }

    /// A body: gives predeclared `def`s their homes, then compiles the forms.
    fn body(&mut self, e: &Expr, dst: usize) -> CResult<()> {
        for (id, span) in e.body_defines() {
            if self.predeclared.insert(id) {
                let (slot, boxed) = self.local_slot(id);
                self.emit(Instr::LoadNil { dst: slot }, span);
                if boxed {
                    self.emit(Instr::MakeCell { slot }, span);
                }
            }
        }
        self.expr(e, dst)
    }

    /// Stores the value in register `src` into local `b` (making a cell if it is boxed).
    fn bind(&mut self, b: &Binding, src: Reg, span: Span) {
        let (slot, boxed) = self.local_slot(b.local);
        if src != slot {
            self.emit(Instr::Move { dst: slot, src }, span);
        }
        if let Some(ty) = b.ty {
            self.emit(Instr::CheckType { reg: slot, ty }, b.span);
        }
        if boxed {
            self.emit(Instr::MakeCell { slot }, span);
        }
    }

    fn expr(&mut self, e: &Expr, dst: usize) -> CResult<()> {
        let span = e.span;
        let d = dst as Reg;
        let saved_top = self.top;
        match &e.kind {
            ExprKind::Const(datum) => {
                let v = sexp_to_value(datum);
                match v {
                    Value::Nil => self.emit(Instr::LoadNil { dst: d }, span),
                    Value::Bool(b) => self.emit(Instr::LoadBool { dst: d, value: b }, span),
                    Value::Int(i) if i32::try_from(i).is_ok() => {
                        self.emit(Instr::LoadInt { dst: d, value: i as i32 }, span)
                    }
                    v => {
                        let index = self.constant(v);
                        self.emit(Instr::LoadConst { dst: d, index }, span)
                    }
                };
            }
            ExprKind::Var { var, name } => self.load_var(*var, name, d, span),
            ExprKind::Set { var, value, .. } => self.assign(*var, value, d, span)?,
            ExprKind::Define { binding, var, value } => match var {
                VarRef::Global(index) => {
                    let r = self.operand(value)?;
                    if let Some(ty) = binding.ty {
                        self.emit(Instr::CheckType { reg: r, ty }, span);
                    }
                    self.emit(Instr::DefGlobal { index: *index, src: r }, span);
                    self.emit(Instr::LoadBool { dst: d, value: true }, span);
                }
                VarRef::Local(id) => {
                    let (slot, boxed) = self.local_slot(*id);
                    if boxed && self.predeclared.contains(id) {
                        let r = self.operand(value)?;
                        if let Some(ty) = binding.ty {
                            self.emit(Instr::CheckType { reg: r, ty }, span);
                        }
                        self.emit(Instr::SetCell { slot, src: r }, span);
                        self.move_to(d, r, span);
                    } else {
                        self.expr(value, slot as usize)?;
                        self.bind(binding, slot, span);
                        if boxed {
                            self.emit(Instr::GetCell { dst: d, slot }, span);
                        } else {
                            self.move_to(d, slot, span);
                        }
                    }
                }
                _ => unreachable!("define resolves to a global or a local"),
            },
            ExprKind::If(c, t, f) => {
                let jump_else = self.condition(c)?;
                self.expr(t, dst)?;
                let jump_end = self.emit(Instr::Jump { offset: 0 }, span);
                self.patch(jump_else)?;
                self.expr(f, dst)?;
                self.patch(jump_end)?;
            }
            ExprKind::Lambda(lambda) => self.closure(lambda, d, span)?,
            ExprKind::Call(callee, args) => self.call(e, callee, args, dst)?,
            ExprKind::Prim(prim, args) => self.prim(*prim, args, d, span)?,
            ExprKind::Seq(items) => {
                if items.is_empty() {
                    self.emit(Instr::LoadNil { dst: d }, span);
                }
                for item in items {
                    self.expr(item, dst)?;
                }
            }
            ExprKind::Let(bindings, body) => {
                for (b, init) in bindings {
                    let (slot, _) = self.local_slot(b.local);
                    self.expr(init, slot as usize)?;
                    self.bind(b, slot, init.span);
                }
                self.body(body, dst)?;
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                if items.is_empty() {
                    if is_and {
                        self.emit(Instr::LoadBool { dst: d, value: true }, span);
                    } else {
                        self.emit(Instr::LoadNil { dst: d }, span);
                    }
                }
                let mut jumps = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.expr(item, dst)?;
                    if i + 1 < items.len() {
                        let j = if is_and {
                            Instr::JumpIfFalse { cond: d, offset: 0 }
                        } else {
                            Instr::JumpIfTrue { cond: d, offset: 0 }
                        };
                        jumps.push(self.emit(j, item.span));
                    }
                }
                for j in jumps {
                    self.patch(j)?;
                }
            }
            ExprKind::Loop(bindings, body) => {
                let mut slots = Vec::new();
                for (b, init) in bindings {
                    let (slot, boxed) = self.local_slot(b.local);
                    self.expr(init, slot as usize)?;
                    self.bind(b, slot, init.span);
                    slots.push((slot, boxed));
                }
                let start = self.here();
                self.loops.push(LoopInfo { start, slots });
                self.body(body, dst)?;
                self.loops.pop();
            }
            ExprKind::Recur(args) => {
                let lp = self.loops.last().expect("resolver checked recur is inside a loop");
                let (start, slots) = (lp.start, lp.slots.clone());
                // New values go to temporaries first (they may read the old ones), then move.
                // Two shortcuts: an unchanged variable needs nothing, and the last value can be
                // computed straight into its slot when its final write is a single instruction.
                let mut moves = Vec::new();
                for (i, (a, &(slot, boxed))) in args.iter().zip(&slots).enumerate() {
                    let unchanged = matches!(a.kind, ExprKind::Var { var: VarRef::Local(id), .. } if !boxed && self.local_slot(id).0 == slot);
                    if unchanged {
                        continue;
                    }
                    let simple = matches!(
                        a.kind,
                        ExprKind::Prim(..) | ExprKind::Const(_) | ExprKind::Var { .. } | ExprKind::Call(..)
                    );
                    if i + 1 == args.len() && !boxed && simple {
                        self.expr(a, slot as usize)?;
                        continue;
                    }
                    let r = self.alloc()?;
                    self.expr(a, r)?;
                    moves.push((slot, boxed, r as Reg));
                }
                for (slot, boxed, t) in moves {
                    self.emit(Instr::Move { dst: slot, src: t }, span);
                    if boxed {
                        self.emit(Instr::MakeCell { slot }, span);
                    }
                }
                let offset = start as i64 - self.here() as i64 - 1;
                self.emit(Instr::Jump { offset: offset as i32 }, span);
            }
            ExprKind::Try { body, catch, finally } => {
                self.try_form(body, catch.as_ref().map(|(b, h)| (b, &**h)), finally.as_deref(), dst, span)?
            }
            ExprKind::Throw(v) => {
                let r = self.operand(v)?;
                self.emit(Instr::Throw { src: r }, span);
            }
            ExprKind::Match(value, clauses) => {
                match self.inline_receive.then(|| receive_shape(value, clauses)).flatten() {
                    Some(shape) => self.receive_inline(shape, dst, span)?,
                    None => self.match_form(value, clauses, dst, span)?,
                }
            }
            ExprKind::Eval(form, env) => {
                let r = self.operand(form)?;
                let mut entries = Vec::new();
                for (name, var) in env {
                    let src = match var {
                        VarRef::Local(id) => CaptureSrc::Register(self.local_slot(*id).0),
                        VarRef::Capture(i) => CaptureSrc::Capture(*i as u16),
                        _ => continue,
                    };
                    entries.push((name.clone(), src));
                }
                self.proto.eval_envs.push(entries);
                let env = (self.proto.eval_envs.len() - 1) as u16;
                self.emit(Instr::Eval { dst: d, form: r, env }, span);
            }
            ExprKind::DefMacro(name, lambda) => {
                let r = self.alloc()? as Reg;
                self.closure(lambda, r, span)?;
                let name = self.constant(Value::str(name.clone()));
                self.emit(Instr::DefMacro { name, src: r }, span);
                self.emit(Instr::LoadBool { dst: d, value: true }, span);
            }
        }
        self.top = saved_top;
        Ok(())
    }

    fn move_to(&mut self, dst: Reg, src: Reg, span: Span) {
        if dst != src {
            self.emit(Instr::Move { dst, src }, span);
        }
    }

    fn load_var(&mut self, var: VarRef, _name: &str, d: Reg, span: Span) {
        match var {
            VarRef::Local(id) => {
                let (slot, boxed) = self.local_slot(id);
                if boxed {
                    self.emit(Instr::GetCell { dst: d, slot }, span);
                } else {
                    self.move_to(d, slot, span);
                }
            }
            VarRef::Capture(i) => {
                let ins = if self.info.captures[i as usize].boxed {
                    Instr::GetCaptureCell { dst: d, index: i as u16 }
                } else {
                    Instr::GetCapture { dst: d, index: i as u16 }
                };
                self.emit(ins, span);
            }
            VarRef::Global(index) => {
                self.emit(Instr::GetGlobal { dst: d, index }, span);
            }
            VarRef::Unresolved => unreachable!("resolver left a variable unresolved"),
        }
    }

    fn assign(&mut self, var: VarRef, value: &Expr, d: Reg, span: Span) -> CResult<()> {
        match var {
            VarRef::Local(id) => {
                let (slot, boxed) = self.local_slot(id);
                if boxed {
                    let r = self.operand(value)?;
                    self.emit(Instr::SetCell { slot, src: r }, span);
                    self.move_to(d, r, span);
                } else {
                    let t = self.alloc()?;
                    self.expr(value, t)?;
                    self.emit(Instr::Move { dst: slot, src: t as Reg }, span);
                    self.move_to(d, slot, span);
                }
            }
            VarRef::Capture(i) => {
                let r = self.operand(value)?;
                self.emit(Instr::SetCaptureCell { index: i as u16, src: r }, span);
                self.move_to(d, r, span);
            }
            VarRef::Global(index) => {
                let r = self.operand(value)?;
                self.emit(Instr::SetGlobal { index, src: r }, span);
                self.move_to(d, r, span);
            }
            VarRef::Unresolved => unreachable!("resolver left a variable unresolved"),
        }
        Ok(())
    }

    /// Compiles a test and returns the index of the jump taken when it is false.
    fn condition(&mut self, c: &Expr) -> CResult<usize> {
        if let (false, ExprKind::Prim(p @ (Prim::Lt | Prim::Le | Prim::Gt | Prim::Ge | Prim::Eq), args)) =
            (self.wide_jumps, &c.kind)
        {
            if let Some(value) = small_int(&args[1]) {
                let a = self.operand(&args[0])?;
                let ins = match p {
                    Prim::Lt => Instr::JumpIfNotLtInt { a, value, offset: 0 },
                    Prim::Le => Instr::JumpIfNotLeInt { a, value, offset: 0 },
                    Prim::Gt => Instr::JumpIfNotGtInt { a, value, offset: 0 },
                    Prim::Ge => Instr::JumpIfNotGeInt { a, value, offset: 0 },
                    _ => Instr::JumpIfNotEqInt { a, value, offset: 0 },
                };
                return Ok(self.emit(ins, c.span));
            }
            let [a, b] = self.operands(args)?[..] else { unreachable!("binary comparison") };
            let ins = match p {
                Prim::Lt => Instr::JumpIfNotLt { a, b, offset: 0 },
                Prim::Le => Instr::JumpIfNotLe { a, b, offset: 0 },
                Prim::Gt => Instr::JumpIfNotLt { a: b, b: a, offset: 0 },
                Prim::Ge => Instr::JumpIfNotLe { a: b, b: a, offset: 0 },
                _ => Instr::JumpIfNotEq { a, b, offset: 0 },
            };
            return Ok(self.emit(ins, c.span));
        }
        if let ExprKind::Prim(Prim::IsEmpty, args) = &c.kind {
            let a = self.operand(&args[0])?;
            return Ok(self.emit(Instr::JumpIfNotEmpty { a, offset: 0 }, c.span));
        }
        let r = self.operand(c)?;
        Ok(self.emit(Instr::JumpIfFalse { cond: r, offset: 0 }, c.span))
    }

    fn closure(&mut self, lambda: &Lambda, d: Reg, span: Span) -> CResult<()> {
        let proto = compile_lambda(lambda, self.info, self.inline_receive)?;
        if proto.captures.is_empty() {
            // Nothing to capture: one function value, made here, serves every evaluation (no
            // allocation per evaluation; `receive`'s predicate is such a function). The proto
            // stays listed too, for the disassembler.
            self.proto.protos.push(proto.clone());
            let f = Value::Func(Rc::new(crate::value::Closure { proto, captures: Box::new([]) }));
            let index = self.constant(f);
            self.emit(Instr::LoadConst { dst: d, index }, span);
            return Ok(());
        }
        self.proto.protos.push(proto);
        let index = (self.proto.protos.len() - 1) as u32;
        self.emit(Instr::Closure { dst: d, proto: index }, span);
        Ok(())
    }

    fn call(&mut self, e: &Expr, callee: &Expr, args: &[Expr], dst: usize) -> CResult<()> {
        // When the destination is the topmost temporary, call right there: the result then
        // needs no move.
        let base = if dst + 1 == self.top && dst >= self.info.nslots as usize { dst } else { self.alloc()? };
        let global = match callee.kind {
            ExprKind::Var { var: VarRef::Global(index), .. } if args.len() <= u8::MAX as usize => Some(index),
            _ => None,
        };
        // A callee in a plain local register is called from there (no copy to `base`).
        let local = match callee.kind {
            ExprKind::Var { var: VarRef::Local(id), .. }
                if args.len() <= u8::MAX as usize
                    && !self.local_slot(id).1
                    && !args.iter().any(|a| a.may_assign_local(id)) =>
            {
                Some(self.local_slot(id).0)
            }
            _ => None,
        };
        if global.is_none() && local.is_none() {
            self.expr(callee, base)?;
        }
        for a in args {
            let r = self.alloc()?;
            self.expr(a, r)?;
        }
        let argc = u16::try_from(args.len()).map_err(|_| SlightError::syntax("too many arguments", e.span))?;
        // A function with a return type checks its result, so only a call of itself (which
        // checks the same type) may replace its frame.
        let self_call = matches!(&callee.kind, ExprKind::Var { name, var: VarRef::Global(_) } if self.proto.name.as_ref() == Some(name));
        let tail = e.tail && (self.proto.ret.is_none() || self_call);
        let base = base as Reg;
        let ins = match (global, local, tail) {
            (Some(index), _, true) => Instr::TailCallGlobal { base, argc: argc as u8, index },
            (Some(index), _, false) => Instr::CallGlobal { base, argc: argc as u8, index },
            (None, Some(func), true) => Instr::TailCallLocal { base, argc: argc as u8, func },
            (None, Some(func), false) => Instr::CallLocal { base, argc: argc as u8, func },
            (None, None, true) => Instr::TailCall { base, argc },
            (None, None, false) => Instr::Call { base, argc },
        };
        self.emit(ins, e.span);
        if tail {
            // Reached only when the callee was not a closure (builtins return here).
            if let Some(ty) = self.proto.ret {
                self.emit(Instr::CheckType { reg: base, ty }, e.span);
            }
            self.emit(Instr::Return { src: base }, e.span);
        } else {
            self.move_to(dst as Reg, base, e.span);
        }
        Ok(())
    }

    fn prim(&mut self, prim: Prim, args: &[Expr], d: Reg, span: Span) -> CResult<()> {
        if matches!(prim, Prim::List | Prim::Append | Prim::AppendDotted) {
            let start = self.top;
            for a in args {
                let r = self.alloc()?;
                self.expr(a, r)?;
            }
            let count = args.len() as u16;
            let start = start as Reg;
            let ins = match prim {
                Prim::List => Instr::List { dst: d, start, count },
                Prim::Append => Instr::Append { dst: d, start, count },
                _ => Instr::AppendDotted { dst: d, start, count },
            };
            self.emit(ins, span);
            return Ok(());
        }
        // Small integer constants fold into AddInt / SubInt.
        if let (Prim::Add | Prim::Sub, [a, b]) = (prim, args) {
            if let Some(value) = small_int(b) {
                let a = self.operand(a)?;
                let ins = if prim == Prim::Add {
                    Instr::AddInt { dst: d, a, value }
                } else {
                    Instr::SubInt { dst: d, a, value }
                };
                self.emit(ins, span);
                return Ok(());
            }
        }
        let regs = self.operands(args)?;
        let ins = match (prim, regs.as_slice()) {
            (Prim::Add, &[a, b]) => Instr::Add { dst: d, a, b },
            (Prim::Sub, &[a, b]) => Instr::Sub { dst: d, a, b },
            (Prim::Mul, &[a, b]) => Instr::Mul { dst: d, a, b },
            (Prim::Div, &[a, b]) => Instr::Div { dst: d, a, b },
            (Prim::Eq, &[a, b]) => Instr::Eq { dst: d, a, b },
            (Prim::Ne, &[a, b]) => Instr::Ne { dst: d, a, b },
            (Prim::Lt, &[a, b]) => Instr::Lt { dst: d, a, b },
            (Prim::Gt, &[a, b]) => Instr::Gt { dst: d, a, b },
            (Prim::Le, &[a, b]) => Instr::Le { dst: d, a, b },
            (Prim::Ge, &[a, b]) => Instr::Ge { dst: d, a, b },
            (Prim::Cons, &[a, b]) => Instr::Cons { dst: d, a, b },
            (Prim::Field, &[a, b]) => Instr::Field { dst: d, a, b },
            (Prim::Not, &[a]) => Instr::Not { dst: d, a },
            (Prim::Neg, &[a]) => Instr::Neg { dst: d, a },
            (Prim::Head, &[a]) => Instr::Head { dst: d, a },
            (Prim::Tail, &[a]) => Instr::Tail { dst: d, a },
            (Prim::IsEmpty, &[a]) => Instr::IsEmpty { dst: d, a },
            _ => {
                return Err(SlightError::syntax(format!("{} called with {} arguments", prim.name(), args.len()), span))
            }
        };
        self.emit(ins, span);
        Ok(())
    }

    /// `(try body (catch e handler) (finally f))` as two nested handlers: the `finally` one
    /// outside (it runs `f` and re-raises, for every error, even one `try` cannot catch), the
    /// `catch` one inside (it binds `e` and runs `handler`, for catchable errors only).
    fn try_form(
        &mut self,
        body: &Expr,
        catch: Option<(&Binding, &Expr)>,
        finally: Option<&Expr>,
        dst: usize,
        span: Span,
    ) -> CResult<()> {
        let scratch = self.alloc()?;
        let outer = match finally {
            Some(_) => {
                let err = self.alloc()? as Reg;
                Some((err, self.emit(Instr::TryPush { err, finally: true, offset: 0 }, span)))
            }
            None => None,
        };
        match catch {
            Some((b, handler)) => {
                let err = self.local_slot(b.local).0;
                let push = self.emit(Instr::TryPush { err, finally: false, offset: 0 }, span);
                self.body(body, dst)?;
                self.emit(Instr::TryPop, span);
                let over = self.emit(Instr::Jump { offset: 0 }, span);
                self.patch(push)?;
                self.bind(b, err, b.span);
                self.body(handler, dst)?;
                self.patch(over)?;
            }
            None => self.body(body, dst)?,
        }
        if let (Some((err, push)), Some(f)) = (outer, finally) {
            self.emit(Instr::TryPop, span);
            self.body(f, scratch)?;
            let over = self.emit(Instr::Jump { offset: 0 }, span);
            self.patch(push)?;
            self.body(f, scratch)?;
            self.emit(Instr::Throw { src: err }, span);
            self.patch(over)?;
        }
        Ok(())
    }

    fn match_form(&mut self, value: &Expr, clauses: &[MatchClause], dst: usize, span: Span) -> CResult<()> {
        let v = self.alloc()? as Reg;
        self.expr(value, v as usize)?;
        let mut to_end = Vec::new();
        for clause in clauses {
            let mut fails = Vec::new();
            self.pattern(&clause.pattern, v, &mut fails, clause.body.span)?;
            if let Some(g) = &clause.guard {
                fails.push(self.condition(g)?);
            }
            self.body(&clause.body, dst)?;
            to_end.push(self.emit(Instr::Jump { offset: 0 }, clause.body.span));
            for f in fails {
                self.patch(f)?;
            }
        }
        self.emit(Instr::MatchFail { src: v }, span);
        for j in to_end {
            self.patch(j)?;
        }
        Ok(())
    }

    /// A `receive`, inline (BEAM's loop_rec / remove_message / wait): instead of calling
    /// `%receive` with the predicate and matching its `(index msg)` result, each queued message
    /// is tried in turn, in this frame:
    ///
    /// ```text
    ///         RecvStart scan ms        ; deadline, scan = 0
    /// next:   RecvNext scan msg ->try  ; msg = mailbox[scan]; none: wait, or fall through at the deadline
    ///         Jump after
    /// try:    <pattern 0 on msg> else ->p1
    ///         RecvTake scan msg        ; remove it from the mailbox
    ///         <body 0> ; Jump end
    /// p1:     ...
    ///         RecvSkip scan            ; no clause matched: it stays queued
    ///         Jump next                ; (a backward jump: counts against the time slice)
    /// after:  <after body>
    /// end:
    /// ```
    ///
    /// Without guards the clauses' own patterns decide (they are the predicate's, which
    /// `receive_shape` checks, and patterns have no side effects), so the message is matched
    /// once. With guards, `try` calls the predicate as an ordinary VM call (a frame, not a
    /// nested interpreter) and dispatches on the clause index it returns:
    ///
    /// ```text
    /// try:    CallLocal verdict pred (msg) ; verdict = index or false
    ///         JumpIfFalse verdict skip
    ///         RecvTake scan msg
    ///         JumpIfNotEqInt verdict 0 ->p1 ; <pattern 0 on msg> (binds) ; <body 0> ; Jump end
    /// p1:     ...
    /// skip:   RecvSkip scan ; Jump next
    /// ```
    ///
    /// A paused process resumes at `RecvNext` (or in the predicate) with `scan` in its register.
    fn receive_inline(&mut self, shape: ReceiveShape<'_>, dst: usize, span: Span) -> CResult<()> {
        let pred = match shape.predicate {
            Some(p) => {
                let r = self.alloc()?;
                self.expr(p, r)?;
                Some(r as Reg)
            }
            None => None,
        };
        let ms = self.operand(shape.ms)?;
        let scan = self.alloc()? as Reg;
        // The verdict register is the predicate's call base: the message is its argument.
        let verdict = self.alloc()? as Reg;
        let msg = self.alloc()? as Reg;
        self.emit(Instr::RecvStart { scan, ms }, span);
        let next = self.emit(Instr::RecvNext { scan, dst: msg, offset: 0 }, span);
        let to_after = self.emit(Instr::Jump { offset: 0 }, span);
        self.patch(next)?;
        let mut to_end = Vec::new();
        let mut to_skip = Vec::new();
        if let Some(func) = pred {
            self.emit(Instr::CallLocal { base: verdict, argc: 1, func }, span);
            to_skip.push(self.emit(Instr::JumpIfFalse { cond: verdict, offset: 0 }, span));
            self.emit(Instr::RecvTake { scan, dst: msg }, span);
        }
        for (k, (pattern, body)) in shape.clauses.into_iter().enumerate() {
            let mut fails = Vec::new();
            if pred.is_some() {
                match i16::try_from(k) {
                    Ok(value) if !self.wide_jumps => {
                        fails.push(self.emit(Instr::JumpIfNotEqInt { a: verdict, value, offset: 0 }, span));
                    }
                    _ => {
                        let (want, same) = (self.alloc()? as Reg, self.alloc()? as Reg);
                        let k = i32::try_from(k).map_err(|_| SlightError::syntax("too many receive clauses", span))?;
                        self.emit(Instr::LoadInt { dst: want, value: k }, span);
                        self.emit(Instr::Eq { dst: same, a: verdict, b: want }, span);
                        fails.push(self.emit(Instr::JumpIfFalse { cond: same, offset: 0 }, span));
                    }
                }
            }
            self.pattern(pattern, msg, &mut fails, body.span)?;
            if pred.is_none() {
                self.emit(Instr::RecvTake { scan, dst: msg }, span);
            }
            self.body(body, dst)?;
            to_end.push(self.emit(Instr::Jump { offset: 0 }, body.span));
            for f in fails {
                self.patch(f)?;
            }
        }
        if pred.is_some() {
            // The predicate chose a clause whose pattern then failed: cannot happen (the same
            // pattern on the same message), but the general path would report `(index msg)`.
            let t = self.alloc()? as Reg;
            self.emit(Instr::List { dst: t, start: verdict, count: 2 }, span);
            self.emit(Instr::MatchFail { src: t }, span);
        }
        for j in to_skip {
            self.patch(j)?;
        }
        self.emit(Instr::RecvSkip { scan }, span);
        let back = next as i64 - self.here() as i64 - 1;
        self.emit(Instr::Jump { offset: back as i32 }, span);
        self.patch(to_after)?;
        match shape.after {
            Some(body) => self.body(body, dst)?,
            None => {
                // Unreachable (no timeout, no deadline), but `%receive` would give `false`.
                let f = self.alloc()? as Reg;
                self.emit(Instr::LoadBool { dst: f, value: false }, span);
                self.emit(Instr::MatchFail { src: f }, span);
            }
        }
        for j in to_end {
            self.patch(j)?;
        }
        Ok(())
    }

    fn pattern(&mut self, p: &Pattern, src: Reg, fails: &mut Vec<usize>, span: Span) -> CResult<()> {
        match p {
            Pattern::Wildcard => {}
            Pattern::Literal(datum) => {
                let k = self.alloc()? as Reg;
                self.expr(&Expr::new(ExprKind::Const(datum.clone()), datum.span), k as usize)?;
                let t = self.alloc()? as Reg;
                self.emit(Instr::Eq { dst: t, a: src, b: k }, span);
                fails.push(self.emit(Instr::JumpIfFalse { cond: t, offset: 0 }, span));
            }
            Pattern::Bind(b) => self.bind(b, src, span),
            Pattern::List(items) | Pattern::Cons(items, _) => {
                let exact = matches!(p, Pattern::List(_));
                let t = self.alloc()? as Reg;
                self.emit(Instr::TestList { dst: t, src, len: items.len() as u16, exact }, span);
                fails.push(self.emit(Instr::JumpIfFalse { cond: t, offset: 0 }, span));
                for (i, item) in items.iter().enumerate() {
                    if matches!(item, Pattern::Wildcard) {
                        continue;
                    }
                    let r = self.alloc()? as Reg;
                    self.emit(Instr::Nth { dst: r, src, index: i as u16 }, span);
                    self.pattern(item, r, fails, span)?;
                }
                if let Pattern::Cons(_, rest) = p {
                    let r = self.alloc()? as Reg;
                    self.emit(Instr::Drop { dst: r, src, count: items.len() as u16 }, span);
                    self.pattern(rest, r, fails, span)?;
                }
            }
        }
        Ok(())
    }
}

/// Compiles a function literal; `parent` describes the enclosing function for its captures.
fn compile_lambda(lambda: &Lambda, parent: &FnInfo, inline_receive: bool) -> CResult<Rc<Proto>> {
    with_jump_fallback(|wide| compile_lambda_with(lambda, parent, wide, inline_receive))
}

fn compile_lambda_with(lambda: &Lambda, parent: &FnInfo, wide_jumps: bool, inline_receive: bool) -> CResult<Rc<Proto>> {
    let mut c = FnCompiler::new(&lambda.info, lambda.span);
    c.wide_jumps = wide_jumps;
    c.inline_receive = inline_receive;
    c.proto.name = lambda.name.clone();
    c.proto.nparams = lambda.params.len() as u16;
    c.proto.variadic = lambda.rest.is_some();
    c.proto.ret = lambda.ret;
    c.proto.captures = lambda
        .info
        .captures
        .iter()
        .map(|cap| match cap.from {
            CaptureFrom::Local(id) => CaptureSrc::Register(parent.locals[id as usize].slot),
            CaptureFrom::Capture(i) => CaptureSrc::Capture(i as u16),
        })
        .collect();
    for p in lambda.params.iter().chain(lambda.rest.iter()) {
        let (slot, _) = c.local_slot(p.local);
        c.bind(p, slot, p.span);
    }
    let r = c.alloc()?;
    c.body(&lambda.body, r)?;
    if let Some(ty) = lambda.ret {
        c.emit(Instr::CheckType { reg: r as Reg, ty }, lambda.span);
    }
    c.emit(Instr::Return { src: r as Reg }, lambda.span);
    Ok(Rc::new(c.finish()?))
}

/// What an inline `receive` needs from its expansion (see `receive_inline`).
struct ReceiveShape<'e> {
    /// The predicate (the `fun` expression), when some clause has a guard.
    predicate: Option<&'e Expr>,
    ms: &'e Expr,
    /// Each clause's pattern (bound in the enclosing function) and body.
    clauses: Vec<(&'e Pattern, &'e Expr)>,
    after: Option<&'e Expr>,
}

/// The name the expander gives the predicate's parameter (no reader can produce it).
const RECEIVE_PARAM: &str = "receive message";

/// Recognises exactly what `receive` expands into (slight-core `receive_form`):
///
/// ```text
/// (match (%receive (fun (m) (match m (pat0 [:when guard0] 0) (pat1 1) ... (_ false))) ms)
///   ((0 pat0) body0...) ((1 pat1) body1...) ... [(false after...)])
/// ```
///
/// where each `patK` of the predicate is the same pattern as the clause's. Anything else
/// (a hand-written `%receive` call, a typed binding) is `None`: the general path.
fn receive_shape<'e>(value: &'e Expr, clauses: &'e [MatchClause]) -> Option<ReceiveShape<'e>> {
    let ExprKind::Call(callee, args) = &value.kind else { return None };
    let ExprKind::Var { var: VarRef::Global(_), name } = &callee.kind else { return None };
    let [pred, ms] = &args[..] else { return None };
    let ExprKind::Lambda(lambda) = &pred.kind else { return None };
    if name != "%receive" || lambda.rest.is_some() || lambda.ret.is_some() {
        return None;
    }
    let [param] = &lambda.params[..] else { return None };
    if param.name != RECEIVE_PARAM || param.ty.is_some() {
        return None;
    }
    let body = match &lambda.body.kind {
        ExprKind::Seq(items) if items.len() == 1 => &items[0],
        _ => &*lambda.body,
    };
    let ExprKind::Match(scrutinee, tests) = &body.kind else { return None };
    if !matches!(scrutinee.kind, ExprKind::Var { var: VarRef::Local(id), .. } if id == param.local) {
        return None;
    }
    let (catch_all, tests) = tests.split_last()?;
    let is_const = |e: &Expr, want: &dyn Fn(&slight_core::SexpKind) -> bool| matches!(&e.kind, ExprKind::Const(d) if want(&d.kind));
    if !matches!(catch_all.pattern, Pattern::Wildcard)
        || catch_all.guard.is_some()
        || !is_const(&catch_all.body, &|k| matches!(k, slight_core::SexpKind::Bool(false)))
    {
        return None;
    }
    if clauses.len() != tests.len() && clauses.len() != tests.len() + 1 {
        return None;
    }
    let mut out = Vec::with_capacity(tests.len());
    for (i, (test, clause)) in tests.iter().zip(clauses).enumerate() {
        let index = |k: &slight_core::SexpKind| matches!(k, slight_core::SexpKind::Int(n) if *n == i as i64);
        if clause.guard.is_some() || !is_const(&test.body, &index) {
            return None;
        }
        let Pattern::List(outer) = &clause.pattern else { return None };
        let [Pattern::Literal(k), pattern] = &outer[..] else { return None };
        if !index(&k.kind) || !same_pattern(pattern, &test.pattern) {
            return None;
        }
        out.push((pattern, &clause.body));
    }
    let after = match clauses.get(tests.len()) {
        None => None,
        Some(c) => match &c.pattern {
            Pattern::Literal(d) if c.guard.is_none() && matches!(d.kind, slight_core::SexpKind::Bool(false)) => {
                Some(&c.body)
            }
            _ => return None,
        },
    };
    let guarded = tests.iter().any(|t| t.guard.is_some());
    Some(ReceiveShape { predicate: guarded.then_some(pred), ms, clauses: out, after })
}

/// The same pattern (written once, expanded twice): same shape, same literals at the same
/// places, the same names bound, no type checks.
fn same_pattern(a: &Pattern, b: &Pattern) -> bool {
    match (a, b) {
        (Pattern::Wildcard, Pattern::Wildcard) => true,
        (Pattern::Literal(x), Pattern::Literal(y)) => {
            x.span == y.span && format!("{:?}", x.kind) == format!("{:?}", y.kind)
        }
        (Pattern::Bind(x), Pattern::Bind(y)) => x.name == y.name && x.ty.is_none() && y.ty.is_none(),
        (Pattern::List(xs), Pattern::List(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_pattern(x, y))
        }
        (Pattern::Cons(xs, r), Pattern::Cons(ys, s)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_pattern(x, y)) && same_pattern(r, s)
        }
        _ => false,
    }
}

/// The value of a small integer literal (fits an instruction's 16-bit immediate).
fn small_int(e: &Expr) -> Option<i16> {
    match &e.kind {
        ExprKind::Const(s) => match s.kind {
            slight_core::SexpKind::Int(i) => i16::try_from(i).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// The message of a failed type check.
pub fn type_mismatch(ty: Type, v: &Value) -> Option<String> {
    let ok = match ty {
        Type::I64 => matches!(v, Value::Int(_)),
        Type::F64 => matches!(v, Value::Float(_)),
        Type::Bool => matches!(v, Value::Bool(_)),
        Type::Str => matches!(v, Value::Str(_)),
        Type::List => matches!(v, Value::List(_)),
        Type::Map => matches!(v, Value::Map(_)),
        Type::Fn => matches!(v, Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_)),
        Type::Any => true,
    };
    (!ok).then(|| format!("Type error: expected {}, got {}", ty.name(), v.type_name()))
}
