//! The interpreter loop (the VM's `lvm.c`): [`Vm::interpret`] runs frames until the entry
//! frame returns, one `match` arm per instruction (each instruction's effect is documented
//! on `bytecode::Instr`). Registers are read without bounds checks: see the SAFETY comments.

use super::call::{check_builtin_arity, push_frame, undefined};
use super::{Entered, Handler, Vm};
use crate::builtins::{Host, BUILTINS};
use crate::bytecode::compile::type_mismatch;
use crate::bytecode::{CaptureSrc, Instr, Proto};
use crate::error::ErrorValue;
use crate::ops;
use crate::value::{Closure, Value};
use std::cell::RefCell;
use std::rc::Rc;

impl Vm {
    /// The interpreter loop. Runs until the frame at index `entry` returns (or, for a spawned
    /// process's outermost loop, until the process pauses: see `scheduler.rs`).
    pub(crate) fn interpret(&mut self, entry: usize) -> Result<Value, Rc<ErrorValue>> {
        self.exec.run_depth += 1;
        let r = self.run_frames(entry);
        self.exec.run_depth -= 1;
        r
    }

    fn run_frames(&mut self, entry: usize) -> Result<Value, Rc<ErrorValue>> {
        'frame: loop {
            let fi = self.exec.frames.len() - 1;
            // SAFETY: frame `fi` owns an `Rc` of this closure. Every path that pops or replaces
            // that frame leaves this block (`continue 'frame` or `return`) before `closure` is
            // used again, so the reference never outlives the frame's `Rc`.
            let closure: &Closure = unsafe { &*Rc::as_ptr(&self.exec.frames[fi].closure) };
            let proto: &Proto = &closure.proto;
            let code = &proto.code[..];
            let base = self.exec.frames[fi].base;
            let mut pc = self.exec.frames[fi].pc;

            // Register access without bounds checks.
            // SAFETY: `Proto::verify` (run on every compiled function) guarantees every register
            // operand is below `proto.nregs`; `enter` makes `stack.len() >= base + nregs` before
            // a frame runs, and the stack never shrinks below a live frame's registers. The
            // pointer is re-read at every access, so a reallocation (a nested call growing the
            // stack) cannot leave it dangling.
            macro_rules! rd {
                ($r:expr) => {
                    unsafe { &*self.exec.stack.as_ptr().add(base + $r as usize) }
                };
            }
            macro_rules! wr {
                ($r:expr, $v:expr) => {{
                    let v = $v;
                    let slot = unsafe { &mut *self.exec.stack.as_mut_ptr().add(base + $r as usize) };
                    store(slot, v);
                }};
            }
            macro_rules! take {
                ($r:expr) => {
                    std::mem::take(unsafe { &mut *self.exec.stack.as_mut_ptr().add(base + $r as usize) })
                };
            }
            macro_rules! fail {
                ($e:expr) => {{
                    self.raise($e, fi, pc, entry)?;
                    continue 'frame;
                }};
            }
            macro_rules! check {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => fail!(e),
                    }
                };
            }
            // Integer fast path of an arithmetic instruction, falling back to `ops` for the rest.
            macro_rules! arith {
                ($dst:expr, $a:expr, $b:expr, $checked:ident, $slow:path) => {{
                    let (x, y) = ($a, $b);
                    if let (Value::Int(i), Value::Int(j)) = (x, y) {
                        match i.$checked(*j) {
                            Some(v) => wr!($dst, Value::Int(v)),
                            None => fail!(ops::overflow()),
                        }
                    } else {
                        let r = $slow(x, y);
                        wr!($dst, check!(r));
                    }
                }};
            }
            // Compare-and-jump: jumps when the comparison is false.
            macro_rules! compare_jump {
                ($a:expr, $b:expr, $op:tt, $slow:path, $offset:expr) => {{
                    let r = match ($a, $b) {
                        (Value::Int(x), Value::Int(y)) => Ok(x $op y),
                        (x, y) => $slow(x, y),
                    };
                    if !check!(r) {
                        jump!($offset);
                    }
                }};
            }
            // Call fast path: a closure of fixed arity with room on the stack gets a frame and
            // the loop continues in it.
            macro_rules! push_frame_if_fast {
                ($callee:expr, $argc:expr, $fpos:expr) => {{
                    let c: &Rc<Closure> = $callee;
                    let p = &c.proto;
                    if !p.variadic
                        && p.nparams as usize == $argc as usize
                        && self.exec.frames.len() < self.max_frames
                        && $fpos + p.nregs as usize + 2 <= self.exec.stack.len()
                    {
                        let c = c.clone();
                        push_frame(&mut self.exec.frames, c, $fpos + 1, $fpos);
                        continue 'frame;
                    }
                }};
            }
            // Any other call: closures (variadic, first use of the stack), builtins, `apply`.
            macro_rules! generic_call {
                ($fpos:expr, $argc:expr) => {
                    match self.enter($fpos, $argc as usize, $fpos) {
                        Ok(Entered::Frame) => continue 'frame,
                        Ok(Entered::Value(v)) => store(&mut self.exec.stack[$fpos], v),
                        Err(e) => fail!(e),
                    }
                };
            }
            // Proper tail call of a closure: this frame is reused (arguments slide down to its
            // base). Never falls through.
            macro_rules! reuse_frame {
                ($callee:expr, $argc:expr, $cb:expr, $fpos:expr) => {{
                    let callee: Rc<Closure> = $callee;
                    let p = &callee.proto;
                    let argc = $argc as usize;
                    if Some(p.span.file) == self.prelude_file {
                        // Prelude builtins keep the caller's frame, so their errors can point
                        // at the user's call. (The next instruction returns the result.)
                        self.exec.frames[fi].pc = pc;
                        self.exec.stack[$fpos] = Value::Func(callee);
                        generic_call!($fpos, argc);
                        continue;
                    }
                    if !p.variadic && p.nparams as usize == argc && (base + p.nregs as usize) < self.exec.stack.len() {
                        for i in 0..argc {
                            let v = take!($cb as usize + 1 + i);
                            wr!(i, v);
                        }
                        let frame = &mut self.exec.frames[fi];
                        frame.closure = callee;
                        frame.pc = 0;
                    } else {
                        check!(self.tail_call(fi, $fpos, callee, argc));
                    }
                    continue 'frame;
                }};
            }
            // A tail call of something that is not (yet) a closure: `apply` and quoted names
            // are rewritten in place and, if they lead to a closure, still replace this frame;
            // builtins are called normally and the next instruction returns their result.
            macro_rules! tail_call_other {
                ($fpos:expr, $argc:expr) => {{
                    self.exec.frames[fi].pc = pc;
                    let argc = check!(self.resolve_callee($fpos, $argc as usize));
                    if let Value::Func(callee) = &self.exec.stack[$fpos] {
                        let callee = callee.clone();
                        check!(self.tail_call(fi, $fpos, callee, argc));
                        continue 'frame;
                    }
                    generic_call!($fpos, argc);
                }};
            }
            macro_rules! jump {
                ($off:expr) => {
                    pc = (pc as isize + $off as isize) as usize
                };
            }
            // One unit of work (a call or a backward jump). When the time slice is used up and
            // another process could run, this one yields: see `Vm::preempt`.
            // The count lives in the VM (`Vm::budget`), shared with compiled code and with the
            // loops builtin callbacks run in, so work inside a callback counts too. At the end
            // of a slice the limits are checked (`Vm::slice_end`; a stop is raised here).
            macro_rules! tick {
                () => {
                    self.budget = self.budget.wrapping_sub(1);
                    if self.budget == 0 {
                        if let Err(e) = self.slice_end() {
                            fail!(e);
                        }
                        if self.slice_over(fi, pc)? {
                            continue 'frame;
                        }
                    }
                };
            }

            loop {
                // SAFETY: `Proto::verify` guarantees every jump target is inside `code` and the
                // last instruction is a return or a jump, so `pc` never runs past the end.
                let ins = unsafe { *code.get_unchecked(pc) };
                pc += 1;
                match ins {
                    Instr::LoadNil { dst } => wr!(dst, Value::Nil),
                    Instr::LoadBool { dst, value } => wr!(dst, Value::Bool(value)),
                    Instr::LoadInt { dst, value } => wr!(dst, Value::Int(value as i64)),
                    Instr::LoadConst { dst, index } => {
                        wr!(dst, proto.consts[index as usize].clone())
                    }
                    Instr::Move { dst, src } => wr!(dst, rd!(src).clone()),
                    Instr::GetCapture { dst, index } => {
                        wr!(dst, closure.captures[index as usize].clone())
                    }
                    Instr::GetCaptureCell { dst, index } => {
                        let v = match &closure.captures[index as usize] {
                            Value::Cell(c) => c.borrow().clone(),
                            other => other.clone(),
                        };
                        wr!(dst, v);
                    }
                    Instr::SetCaptureCell { index, src } => {
                        let v = rd!(src).clone();
                        if let Value::Cell(c) = &closure.captures[index as usize] {
                            *c.borrow_mut() = v;
                        }
                    }
                    Instr::GetCell { dst, slot } => {
                        let v = match rd!(slot) {
                            Value::Cell(c) => c.borrow().clone(),
                            other => other.clone(),
                        };
                        wr!(dst, v);
                    }
                    Instr::SetCell { slot, src } => {
                        let v = rd!(src).clone();
                        match rd!(slot) {
                            Value::Cell(c) => *c.borrow_mut() = v,
                            _ => wr!(slot, Value::Cell(Rc::new(RefCell::new(v)))),
                        }
                    }
                    Instr::MakeCell { slot } => {
                        let v = take!(slot);
                        wr!(slot, Value::Cell(Rc::new(RefCell::new(v))));
                    }
                    Instr::GetGlobal { dst, index } => match &self.globals[index as usize] {
                        Some(v) => wr!(dst, v.clone()),
                        None => {
                            fail!(ErrorValue::new("NameError", format!("Undefined symbol: {}", self.names.name(index))))
                        }
                    },
                    Instr::SetGlobal { index, src } => {
                        if self.globals[index as usize].is_none() {
                            fail!(ErrorValue::new(
                                "NameError",
                                format!("Cannot set! undefined variable: {}", self.names.name(index))
                            ));
                        }
                        self.globals[index as usize] = Some(rd!(src).clone());
                    }
                    Instr::DefGlobal { index, src } => self.globals[index as usize] = Some(rd!(src).clone()),
                    Instr::Add { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_add, ops::add),
                    Instr::Sub { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_sub, ops::sub),
                    Instr::Mul { dst, a, b } => arith!(dst, rd!(a), rd!(b), checked_mul, ops::mul),
                    Instr::Div { dst, a, b } => {
                        let r = ops::div(rd!(a), rd!(b));
                        wr!(dst, check!(r));
                    }
                    Instr::AddInt { dst, a, value } => {
                        arith!(dst, rd!(a), &Value::Int(value as i64), checked_add, ops::add)
                    }
                    Instr::SubInt { dst, a, value } => {
                        arith!(dst, rd!(a), &Value::Int(value as i64), checked_sub, ops::sub)
                    }
                    Instr::Eq { dst, a, b } => wr!(dst, Value::Bool(rd!(a).equals(rd!(b)))),
                    Instr::Ne { dst, a, b } => wr!(dst, Value::Bool(!rd!(a).equals(rd!(b)))),
                    Instr::Lt { dst, a, b } => {
                        let r = ops::lt(rd!(a), rd!(b));
                        wr!(dst, Value::Bool(check!(r)));
                    }
                    Instr::Gt { dst, a, b } => {
                        let r = ops::gt(rd!(a), rd!(b));
                        wr!(dst, Value::Bool(check!(r)));
                    }
                    Instr::Le { dst, a, b } => {
                        let r = ops::le(rd!(a), rd!(b));
                        wr!(dst, Value::Bool(check!(r)));
                    }
                    Instr::Ge { dst, a, b } => {
                        let r = ops::ge(rd!(a), rd!(b));
                        wr!(dst, Value::Bool(check!(r)));
                    }
                    Instr::Not { dst, a } => wr!(dst, Value::Bool(!rd!(a).is_truthy())),
                    Instr::Neg { dst, a } => {
                        let r = ops::neg(rd!(a));
                        wr!(dst, check!(r));
                    }
                    Instr::Cons { dst, a, b } => {
                        if let Value::List(l) = rd!(b) {
                            let v = Value::cons(rd!(a).clone(), l.clone());
                            wr!(dst, v);
                        } else {
                            let r = ops::cons(rd!(a), rd!(b));
                            wr!(dst, check!(r));
                        }
                    }
                    Instr::Head { dst, a } => {
                        if let Value::List(Some(c)) = rd!(a) {
                            let v = c.head.clone();
                            wr!(dst, v);
                        } else {
                            let r = ops::head(rd!(a));
                            wr!(dst, check!(r));
                        }
                    }
                    Instr::Tail { dst, a } => {
                        if let Value::List(Some(c)) = rd!(a) {
                            let v = Value::List(c.tail.clone());
                            wr!(dst, v);
                        } else {
                            let r = ops::tail(rd!(a));
                            wr!(dst, check!(r));
                        }
                    }
                    Instr::IsEmpty { dst, a } => {
                        let r = ops::is_empty(rd!(a));
                        wr!(dst, Value::Bool(check!(r)));
                    }
                    Instr::List { dst, start, count } => {
                        let s = base + start as usize;
                        wr!(dst, Value::list_from(self.exec.stack[s..s + count as usize].to_vec()));
                    }
                    Instr::Append { dst, start, count } => {
                        let s = base + start as usize;
                        let r = ops::append(&self.exec.stack[s..s + count as usize]);
                        wr!(dst, check!(r));
                    }
                    Instr::AppendDotted { dst, start, count } => {
                        let s = base + start as usize;
                        let r = ops::append_quasi(&self.exec.stack[s..s + count as usize]);
                        wr!(dst, check!(r));
                    }
                    Instr::Field { dst, a, b } => {
                        let r = ops::field(rd!(a), rd!(b));
                        wr!(dst, check!(r));
                    }
                    Instr::Jump { offset } => {
                        if offset < 0 {
                            tick!();
                        }
                        jump!(offset)
                    }
                    Instr::JumpIfFalse { cond, offset } => {
                        if !rd!(cond).is_truthy() {
                            jump!(offset);
                        }
                    }
                    Instr::JumpIfTrue { cond, offset } => {
                        if rd!(cond).is_truthy() {
                            jump!(offset);
                        }
                    }
                    Instr::JumpIfNotLt { a, b, offset } => compare_jump!(rd!(a), rd!(b), <, ops::lt, offset),
                    Instr::JumpIfNotLe { a, b, offset } => compare_jump!(rd!(a), rd!(b), <=, ops::le, offset),
                    Instr::JumpIfNotLtInt { a, value, offset } => {
                        compare_jump!(rd!(a), &Value::Int(value as i64), <, ops::lt, offset)
                    }
                    Instr::JumpIfNotLeInt { a, value, offset } => {
                        compare_jump!(rd!(a), &Value::Int(value as i64), <=, ops::le, offset)
                    }
                    Instr::JumpIfNotGtInt { a, value, offset } => {
                        compare_jump!(rd!(a), &Value::Int(value as i64), >, ops::gt, offset)
                    }
                    Instr::JumpIfNotGeInt { a, value, offset } => {
                        compare_jump!(rd!(a), &Value::Int(value as i64), >=, ops::ge, offset)
                    }
                    Instr::JumpIfNotEqInt { a, value, offset } => {
                        let eq = match rd!(a) {
                            Value::Int(x) => *x == value as i64,
                            x => x.equals(&Value::Int(value as i64)),
                        };
                        if !eq {
                            jump!(offset);
                        }
                    }
                    Instr::JumpIfNotEmpty { a, offset } => {
                        let r = match rd!(a) {
                            Value::List(l) => Ok(l.is_none()),
                            v => ops::is_empty(v),
                        };
                        if !check!(r) {
                            jump!(offset);
                        }
                    }
                    Instr::JumpIfNotEq { a, b, offset } => {
                        let eq = match (rd!(a), rd!(b)) {
                            (Value::Int(x), Value::Int(y)) => x == y,
                            (x, y) => x.equals(y),
                        };
                        if !eq {
                            jump!(offset);
                        }
                    }
                    Instr::Call { base: cb, argc } => {
                        tick!();
                        self.exec.frames[fi].pc = pc;
                        let fpos = base + cb as usize;
                        if let Value::Func(callee) = rd!(cb) {
                            push_frame_if_fast!(callee, argc, fpos);
                        }
                        generic_call!(fpos, argc);
                    }
                    Instr::CallLocal { base: cb, argc, func } => {
                        tick!();
                        self.exec.frames[fi].pc = pc;
                        let fpos = base + cb as usize;
                        if let Value::Func(callee) = rd!(func) {
                            push_frame_if_fast!(callee, argc, fpos);
                        }
                        let callee = rd!(func).clone();
                        wr!(cb, callee);
                        generic_call!(fpos, argc);
                    }
                    Instr::CallGlobal { base: cb, argc, index } => {
                        tick!();
                        self.exec.frames[fi].pc = pc;
                        let fpos = base + cb as usize;
                        let callee = match &self.globals[index as usize] {
                            Some(v) => v,
                            None => fail!(undefined(&self.names, index)),
                        };
                        if let Value::Func(callee) = callee {
                            push_frame_if_fast!(callee, argc, fpos);
                        }
                        // A builtin (`send`, `self`, ...) is called right here; `apply` and
                        // `method/call` rewrite the call instead (`enter`).
                        if let Value::Builtin(id) = *callee {
                            if !self.is_rewriting_builtin(id) {
                                let def = &BUILTINS[id as usize];
                                check!(check_builtin_arity(def, argc as usize));
                                let mut args = std::mem::take(&mut self.arg_buf);
                                args.clear();
                                args.extend_from_slice(&self.exec.stack[fpos + 1..fpos + 1 + argc as usize]);
                                let r = (def.func)(self, &args);
                                args.clear();
                                self.arg_buf = args;
                                wr!(cb, check!(r));
                                continue;
                            }
                        }
                        let callee = callee.clone();
                        wr!(cb, callee);
                        generic_call!(fpos, argc);
                    }
                    Instr::TailCall { base: cb, argc } => {
                        tick!();
                        let fpos = base + cb as usize;
                        if let Value::Func(callee) = rd!(cb) {
                            let callee = callee.clone();
                            reuse_frame!(callee, argc, cb, fpos);
                        }
                        tail_call_other!(fpos, argc);
                    }
                    Instr::TailCallLocal { base: cb, argc, func } => {
                        tick!();
                        let fpos = base + cb as usize;
                        if let Value::Func(callee) = rd!(func) {
                            let callee = callee.clone();
                            reuse_frame!(callee, argc, cb, fpos);
                        }
                        let callee = rd!(func).clone();
                        wr!(cb, callee);
                        tail_call_other!(fpos, argc);
                    }
                    Instr::TailCallGlobal { base: cb, argc, index } => {
                        tick!();
                        let fpos = base + cb as usize;
                        // Self tail call (the common loop): restart this frame, no refcounting.
                        if let Some(Value::Func(c)) = &self.globals[index as usize] {
                            if std::ptr::eq(&**c, closure) && !proto.variadic && proto.nparams == argc as u16 {
                                for i in 0..argc as usize {
                                    let v = take!(cb as usize + 1 + i);
                                    wr!(i, v);
                                }
                                pc = 0;
                                continue;
                            }
                        }
                        let callee = match &self.globals[index as usize] {
                            Some(v) => v.clone(),
                            None => fail!(undefined(&self.names, index)),
                        };
                        if let Value::Func(callee) = callee {
                            reuse_frame!(callee, argc, cb, fpos);
                        }
                        wr!(cb, callee);
                        tail_call_other!(fpos, argc);
                    }
                    Instr::Return { src } => {
                        let v = take!(src);
                        let frame = self.exec.frames.pop().expect("frame");
                        if self.exec.frames.len() == entry {
                            return Ok(v);
                        }
                        store(&mut self.exec.stack[frame.ret], v);
                        continue 'frame;
                    }
                    Instr::Closure { dst, proto: index } => {
                        let p = proto.protos[index as usize].clone();
                        let captures: Box<[Value]> = p
                            .captures
                            .iter()
                            .map(|c| match *c {
                                CaptureSrc::Register(r) => rd!(r).clone(),
                                CaptureSrc::Capture(i) => closure.captures[i as usize].clone(),
                            })
                            .collect();
                        wr!(dst, Value::Func(Rc::new(Closure { proto: p, captures })));
                    }
                    Instr::CheckType { reg, ty } => {
                        let v = match rd!(reg) {
                            Value::Cell(c) => c.borrow().clone(),
                            v => v.clone(),
                        };
                        if let Some(msg) = type_mismatch(ty, &v) {
                            fail!(ErrorValue::type_error(msg));
                        }
                    }
                    Instr::TryPush { err, finally, offset } => {
                        let target = (pc as isize + offset as isize) as usize;
                        self.exec.handlers.push(Handler { frame: fi, pc: target, err: base + err as usize, finally });
                    }
                    Instr::TryPop => {
                        self.exec.handlers.pop();
                    }
                    Instr::Throw { src } => {
                        let e = match rd!(src).clone() {
                            Value::Error(e) => {
                                if e.span.is_some() {
                                    self.exec.frames[fi].pc = pc;
                                    self.unwind(e, entry)?;
                                    continue 'frame;
                                }
                                Rc::unwrap_or_clone(e)
                            }
                            Value::Str(s) => ErrorValue::user(s.to_string()),
                            other => ErrorValue::wrapping(other.clone()),
                        };
                        fail!(e);
                    }
                    Instr::MatchFail { src } => {
                        fail!(ErrorValue::new("MatchError", format!("No match for value: {}", rd!(src).repr())));
                    }
                    Instr::TestList { dst, src, len, exact } => {
                        let n = match rd!(src) {
                            Value::List(_) | Value::Nil => Some(rd!(src).list_len()),
                            _ => None,
                        };
                        let ok = n.is_some_and(|n| if exact { n == len as usize } else { n >= len as usize });
                        wr!(dst, Value::Bool(ok));
                    }
                    Instr::Nth { dst, src, index } => {
                        let v = rd!(src).list_iter().nth(index as usize).unwrap_or(Value::Nil);
                        wr!(dst, v);
                    }
                    Instr::Drop { dst, src, count } => {
                        let mut cur = match rd!(src) {
                            Value::List(l) => l.clone(),
                            _ => None,
                        };
                        for _ in 0..count {
                            cur = cur.and_then(|c| c.tail.clone());
                        }
                        wr!(dst, Value::List(cur));
                    }
                    Instr::Eval { dst, form, env } => {
                        let form = rd!(form).clone();
                        let entries = &proto.eval_envs[env as usize];
                        let names: Vec<String> = entries.iter().map(|(n, _)| n.clone()).collect();
                        let cells: Box<[Value]> = entries
                            .iter()
                            .map(|(_, src)| match *src {
                                CaptureSrc::Register(r) => rd!(r).clone(),
                                CaptureSrc::Capture(i) => closure.captures[i as usize].clone(),
                            })
                            .collect();
                        self.exec.frames[fi].pc = pc;
                        let span = proto.spans[pc - 1];
                        let compiled = self.compile_eval(&form, names, span);
                        let p = check!(compiled);
                        let fpos = base + proto.nregs as usize + 1;
                        if self.exec.stack.len() <= fpos {
                            self.exec.stack.resize(fpos + 1, Value::Nil);
                        }
                        self.exec.stack[fpos] = Value::Func(Rc::new(Closure { proto: p, captures: cells }));
                        match self.enter(fpos, 0, base + dst as usize) {
                            Ok(_) => continue 'frame,
                            Err(e) => fail!(e),
                        }
                    }
                    Instr::DefMacro { name, src } => {
                        let name = proto.consts[name as usize].to_print_string();
                        let f = rd!(src).clone();
                        self.macros.insert(name, f);
                    }
                    Instr::RecvStart { scan, ms } => {
                        let sched = &mut self.state.sched;
                        let deadline = check!(sched.timeout_deadline("receive", rd!(ms)));
                        sched.current_process().deadline = deadline;
                        wr!(scan, Value::Int(0));
                    }
                    Instr::RecvNext { scan, dst, offset } => {
                        let i = match rd!(scan) {
                            Value::Int(i) => *i as usize,
                            _ => 0,
                        };
                        loop {
                            let sched = &mut self.state.sched;
                            let p = sched.current_process();
                            if let Some((_, m)) = p.mailbox.get(i) {
                                let m = m.clone();
                                wr!(dst, m);
                                jump!(offset);
                                break;
                            }
                            let deadline = p.deadline;
                            // The clock is read only when there is a deadline.
                            if deadline.is_some_and(|t| t <= sched.now()) {
                                let p = sched.current_process();
                                p.deadline = None;
                                p.wait = crate::process::Wait::Nothing;
                                break; // to the `after` branch
                            }
                            sched.wait_current(crate::process::Wait::Message(deadline));
                            if self.own_stack.is_none() && self.can_pause() {
                                // Saved at this instruction: it runs again when woken.
                                self.exec.frames[fi].pc = pc - 1;
                                return Err(self.pause_marker.clone());
                            }
                            // Block in place (or suspend a process stack), then look again.
                            if let Err(e) = Host::wait(self) {
                                fail!(e);
                            }
                        }
                    }
                    Instr::RecvTake { scan, dst } => {
                        let i = match rd!(scan) {
                            Value::Int(i) => *i as usize,
                            _ => usize::MAX,
                        };
                        let p = self.state.sched.current_process();
                        p.deadline = None;
                        p.wait = crate::process::Wait::Nothing;
                        // Only this process takes messages from its mailbox, so the message
                        // `RecvNext` loaded is still at `scan` (others only append).
                        let taken = if i == 0 { p.mailbox.pop_front() } else { p.mailbox.remove(i) };
                        if let Some((_, m)) = taken {
                            wr!(dst, m);
                        }
                    }
                    Instr::RecvSkip { scan } => {
                        if let Value::Int(i) = rd!(scan) {
                            let next = Value::Int(i.saturating_add(1));
                            wr!(scan, next);
                        }
                    }
                }
            }
        }
    }
}

/// Overwrites a register. Immediates (nil, booleans, numbers) own nothing, so the old value's
/// destructor is skipped for them — the common case in arithmetic-heavy code.
#[inline(always)]
fn store(slot: &mut Value, v: Value) {
    if matches!(slot, Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_)) {
        // SAFETY: the old value is an immediate with no heap resources, so not running its
        // destructor leaks nothing; `slot` is a valid, exclusive reference.
        unsafe { std::ptr::write(slot, v) }
    } else {
        *slot = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slight_core::Span;

    /// Runs hand-built code (verified, as the compiler's is) as a function of no arguments.
    fn run_code(vm: &mut Vm, nregs: u16, consts: Vec<Value>, code: Vec<Instr>) -> Result<Value, Rc<ErrorValue>> {
        let spans = vec![Span::default(); code.len()];
        let proto = Proto { name: Some("hand".into()), nregs, code, spans, consts, ..Default::default() };
        proto.verify().expect("verified");
        vm.call_value(&Value::Func(Rc::new(Closure { proto: Rc::new(proto), captures: Box::new([]) })), &[])
    }

    #[test]
    fn inline_receive_instructions_do_not_panic_on_odd_scan_registers() {
        let mut vm = Vm::new();
        vm.send(crate::process::MAIN_PID, &Value::Int(7));
        let code = vec![
            Instr::LoadNil { dst: 1 },
            Instr::LoadConst { dst: 0, index: 0 },
            Instr::RecvSkip { scan: 0 },
            Instr::RecvTake { scan: 0, dst: 1 },
            Instr::LoadConst { dst: 0, index: 1 },
            Instr::RecvSkip { scan: 0 },
            Instr::RecvTake { scan: 0, dst: 1 },
            Instr::Return { src: 1 },
        ];
        let r = run_code(&mut vm, 2, vec![Value::Int(i64::MAX), Value::str("x".to_string())], code);
        assert!(matches!(r, Ok(Value::Nil)), "nothing taken: {:?}", r.map(|v| v.repr()));
        assert_eq!(vm.state.sched.current_process().mailbox.len(), 1, "the message is still queued");
        // A negative scan index finds no message: the main process would wait forever.
        let code = vec![
            Instr::LoadInt { dst: 0, value: -1 },
            Instr::RecvNext { scan: 0, dst: 1, offset: 0 },
            Instr::Return { src: 1 },
        ];
        let e = run_code(&mut vm, 2, vec![], code).expect_err("deadlock");
        assert_eq!(e.etype, "Deadlock");
    }
}
