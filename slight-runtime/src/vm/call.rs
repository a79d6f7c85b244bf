//! Calls, tail calls and unwinding (the VM's `ldo.c`): entering a callee (closure, builtin,
//! registered Rust function or compiled function), rewriting `apply`/method calls into plain
//! calls, proper tail calls that reuse the frame, raising an error at an instruction and
//! unwinding to the innermost `try` handler, and the arity errors both paths share.

use super::{Entered, Frame, Vm, MAX_STACK};
use crate::builtins::{self, Host, BUILTINS};
use crate::bytecode::compile::compile_toplevel;
use crate::bytecode::Proto;
use crate::convert::value_to_sexp;
use crate::error::{ErrorValue, TraceEntry};
use crate::value::{Closure, Value};
use slight_core::expander::expand;
use slight_core::resolver::{resolve_toplevel, EvalEnv};
use slight_core::{GlobalNames, SlightError, Span};
use std::rc::Rc;

impl Vm {
    /// Calls a function value with arguments, from Rust.
    pub fn call_value(&mut self, f: &Value, args: &[Value]) -> Result<Value, Rc<ErrorValue>> {
        self.host_enter();
        let result = self.call_entered(f, args);
        self.host_leave();
        result
    }

    /// [`Vm::call_value`] inside a running evaluation (builtin callbacks): no new host entry.
    pub(crate) fn call_entered(&mut self, f: &Value, args: &[Value]) -> Result<Value, Rc<ErrorValue>> {
        let result = match f {
            Value::Func(_) => {
                // Place the call just above the live registers of the current frame (the
                // registers above are dead), reusing stack slots instead of growing the stack.
                let fpos = self.exec.frames.last().map_or(0, |fr| fr.base + fr.closure.proto.nregs as usize + 1);
                let need = fpos + 1 + args.len();
                if self.exec.stack.len() < need {
                    self.exec.stack.resize(need, Value::Nil);
                }
                self.exec.stack[fpos] = f.clone();
                self.exec.stack[fpos + 1..need].clone_from_slice(args);
                let entry = self.exec.frames.len();
                if let Value::Func(c) = f {
                    let p = &c.proto;
                    if !p.variadic && p.nparams as usize == args.len() && entry < self.max_frames {
                        let need = fpos + 1 + p.nregs as usize + 1;
                        if self.exec.stack.len() < need {
                            self.exec.stack.resize(need, Value::Nil);
                        }
                        push_frame(&mut self.exec.frames, c.clone(), fpos + 1, fpos);
                        return self.interpret(entry);
                    }
                }
                match self.enter(fpos, args.len(), fpos) {
                    Ok(Entered::Frame) => self.interpret(entry),
                    Ok(Entered::Value(v)) => Ok(v),
                    Err(e) => Err(self.attach(e, None)),
                }
            }
            _ => self.call_non_closure(f, args).map_err(Rc::new),
        };
        if self.exec.frames.is_empty() {
            self.exec.stack.clear();
        }
        result
    }

    pub(super) fn run_closure(&mut self, closure: Rc<Closure>) -> Result<Value, Rc<ErrorValue>> {
        self.call_value(&Value::Func(closure), &[])
    }

    /// Builtins, registered functions and quoted builtin names (compat).
    pub(super) fn call_non_closure(&mut self, f: &Value, args: &[Value]) -> Result<Value, ErrorValue> {
        match f {
            Value::Builtin(id) => {
                let def = &BUILTINS[*id as usize];
                check_builtin_arity(def, args.len())?;
                if *id == builtins::APPLY {
                    let spread = builtins::apply_args(args)?;
                    return Host::call(self, &args[0], &spread);
                }
                (def.func)(self, args)
            }
            Value::Native(n) => {
                if let Some(arity) = n.arity {
                    if arity != args.len() {
                        return Err(wrong_arity(arity, args.len()));
                    }
                }
                match &n.start_async {
                    Some(start) => self.call_async_native(start, args),
                    None => (n.func)(args),
                }
            }
            Value::Func(_) => self.call_entered(f, args).map_err(Rc::unwrap_or_clone),
            Value::Compiled(c) => crate::native::rt::enter(self, c, args),
            // (obj :method args...) → (method obj args...)
            Value::Object(_) => {
                let method = builtins::object::find_method(f, args.first().unwrap_or(&Value::Nil))?;
                let mut with_this = Vec::with_capacity(args.len().max(1));
                with_this.push(f.clone());
                with_this.extend_from_slice(args.get(1..).unwrap_or(&[]));
                Host::call(self, &method, &with_this)
            }
            Value::Sym(name) | Value::Str(name) if self.named_function(name).is_some() => {
                let f = self.named_function(name).expect("checked");
                Host::call(self, &f, args)
            }
            other => Err(not_a_function(other)),
        }
    }

    /// Sets up a call of the value at `stack[fpos]` with `argc` arguments after it.
    /// Pushes a frame for closures; calls anything else directly.
    pub(crate) fn enter(&mut self, fpos: usize, argc: usize, ret: usize) -> Result<Entered, ErrorValue> {
        let argc = self.resolve_callee(fpos, argc)?;
        let closure = match &self.exec.stack[fpos] {
            Value::Func(c) => c.clone(),
            callee => {
                let f = callee.clone();
                let mut args = std::mem::take(&mut self.arg_buf);
                args.clear();
                args.extend_from_slice(&self.exec.stack[fpos + 1..fpos + 1 + argc]);
                let r = self.call_non_closure(&f, &args);
                args.clear();
                self.arg_buf = args;
                return r.map(Entered::Value);
            }
        };
        let proto = &closure.proto;
        let nparams = proto.nparams as usize;
        let nb = fpos + 1;
        let need = nb + proto.nregs as usize + 1;
        if self.exec.frames.len() >= self.max_frames {
            return Err(self.too_deep());
        }
        if need > MAX_STACK {
            return Err(ErrorValue::new("StackOverflow", "stack overflow"));
        }
        if self.exec.stack.len() < need {
            self.exec.stack.resize(need, Value::Nil);
        }
        if proto.variadic {
            if argc < nparams {
                return Err(closure_arity_error(proto, argc));
            }
            let rest = Value::list_from(self.exec.stack[nb + nparams..nb + argc].to_vec());
            self.exec.stack[nb + nparams] = rest;
        } else if argc != nparams {
            return Err(closure_arity_error(proto, argc));
        }
        push_frame(&mut self.exec.frames, closure, nb, ret);
        Ok(Entered::Frame)
    }

    /// The function a quoted name stands for (compat: `('f x)`, `(list/map 'f xs)`): the global
    /// of that name, if it is a function.
    pub(super) fn named_function(&self, name: &str) -> Option<Value> {
        self.global(name)
            .filter(|g| matches!(g, Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_)))
    }

    /// Rewrites the call at `stack[fpos]` in place until its callee is not `apply` or a quoted
    /// function name: `(apply f a (list b c))` becomes `(f a b c)`, `('f x)` becomes `(f x)`.
    /// Returns the new argument count. Keeps such calls in the VM loop (no Rust recursion, and
    /// proper tail calls through `apply`).
    pub(super) fn resolve_callee(&mut self, fpos: usize, mut argc: usize) -> Result<usize, ErrorValue> {
        loop {
            match &self.exec.stack[fpos] {
                Value::Builtin(id) if *id == builtins::APPLY => {
                    check_builtin_arity(&BUILTINS[builtins::APPLY as usize], argc)?;
                    let args: Vec<Value> = self.exec.stack[fpos + 1..fpos + 1 + argc].to_vec();
                    let spread = builtins::apply_args(&args)?;
                    argc = spread.len();
                    let need = fpos + 1 + argc + 1;
                    if need > MAX_STACK {
                        return Err(ErrorValue::new("StackOverflow", "stack overflow"));
                    }
                    if self.exec.stack.len() < need {
                        self.exec.stack.resize(need, Value::Nil);
                    }
                    self.exec.stack[fpos] = args[0].clone();
                    for (i, v) in spread.into_iter().enumerate() {
                        self.exec.stack[fpos + 1 + i] = v;
                    }
                }
                // (obj :method args...) → (method obj args...)
                Value::Object(_) => {
                    let key = if argc >= 1 { self.exec.stack[fpos + 1].clone() } else { Value::Nil };
                    let method = builtins::object::find_method(&self.exec.stack[fpos], &key)?;
                    let obj = std::mem::replace(&mut self.exec.stack[fpos], method);
                    self.exec.stack[fpos + 1] = obj;
                }
                // (method/call obj :method args...) → (obj :method args...)
                Value::Builtin(id) if *id == *builtins::METHOD_CALL => {
                    check_builtin_arity(&BUILTINS[*id as usize], argc)?;
                    if !matches!(self.exec.stack[fpos + 1], Value::Object(_)) {
                        return Err(ErrorValue::type_error(format!(
                            "method/call: {} is not an object",
                            self.exec.stack[fpos + 1].repr()
                        )));
                    }
                    for i in 0..argc {
                        let v = std::mem::take(&mut self.exec.stack[fpos + 1 + i]);
                        self.exec.stack[fpos + i] = v;
                    }
                    argc -= 1;
                }
                Value::Sym(name) | Value::Str(name) => match self.named_function(name) {
                    Some(f) => self.exec.stack[fpos] = f,
                    None => return Ok(argc),
                },
                _ => return Ok(argc),
            }
        }
    }

    /// Fills in an error's position and Slight stack from the current frames, if missing.
    pub(crate) fn attach(&self, e: ErrorValue, at: Option<(usize, usize)>) -> Rc<ErrorValue> {
        let mut e = e;
        if e.span.is_none() || e.trace.is_empty() {
            let mut trace = Vec::new();
            for (i, f) in self.exec.frames.iter().enumerate().rev() {
                let pc = match at {
                    Some((fi, pc)) if fi == i => pc,
                    _ => f.pc,
                };
                let proto = &f.closure.proto;
                let span = proto.spans.get(pc.saturating_sub(1)).copied().unwrap_or(proto.span);
                if trace.len() < 64 {
                    trace.push(TraceEntry { function: proto.display_name().to_string(), span });
                }
            }
            if e.span.is_none() {
                // Point at user code: an error raised inside a prelude builtin (say, a callback
                // of the wrong arity) is reported where the user called that builtin.
                let user = trace.iter().find(|t| Some(t.span.file) != self.prelude_file);
                e.span = user.or(trace.first()).map(|t| t.span);
            }
            if e.trace.is_empty() {
                e.trace = trace;
            }
        }
        Rc::new(e)
    }

    /// An error raised by the instruction before `pc` in frame `fi`: unwinds to a handler of
    /// this run (`Ok`: continue there) or returns it. The pause marker of a blocking builtin
    /// instead saves the frame at that call (it runs again when the process resumes).
    #[cold]
    #[inline(never)]
    pub(crate) fn raise(&mut self, e: ErrorValue, fi: usize, pc: usize, entry: usize) -> Result<(), Rc<ErrorValue>> {
        if crate::process::is_pause(&e) {
            self.exec.frames[fi].pc = pc - 1;
            return Err(self.pause_marker.clone());
        }
        self.exec.frames[fi].pc = pc;
        let e = self.attach(e, Some((fi, pc)));
        self.unwind(e, entry)
    }

    /// The time slice ran out at the instruction before `pc`: switches processes if another may
    /// need the thread. `Ok(true)`: the frame was saved at that instruction (run it again).
    #[cold]
    #[inline(never)]
    pub(super) fn slice_over(&mut self, fi: usize, pc: usize) -> Result<bool, Rc<ErrorValue>> {
        if !self.state.sched.others_runnable() {
            return Ok(false);
        }
        self.exec.frames[fi].pc = pc - 1;
        self.preempt()?;
        Ok(true)
    }

    /// Unwinds to the innermost handler of this run, or returns the error.
    pub(super) fn unwind(&mut self, e: Rc<ErrorValue>, entry: usize) -> Result<(), Rc<ErrorValue>> {
        while let Some(h) = self.exec.handlers.last() {
            if h.frame < entry {
                break;
            }
            let h = self.exec.handlers.pop().expect("handler");
            if h.frame >= self.exec.frames.len() || !(h.finally || e.is_catchable()) {
                continue;
            }
            self.exec.frames.truncate(h.frame + 1);
            self.exec.frames[h.frame].pc = h.pc;
            self.exec.stack[h.err] = Value::Error(e);
            return Ok(());
        }
        self.exec.frames.truncate(entry);
        Err(e)
    }

    /// Compiles the form given to `eval` against the names visible where `eval` was called.
    pub(super) fn compile_eval(
        &mut self,
        form: &Value,
        names: Vec<String>,
        span: Span,
    ) -> Result<Rc<Proto>, ErrorValue> {
        let sexp = value_to_sexp(form, span).map_err(|m| ErrorValue::new("SyntaxError", m))?;
        let front = |e: SlightError| ErrorValue::from_front(&e);
        crate::native::own_stack::front_end_room()?;
        let mut expr = expand(&sexp, self).map_err(front)?;
        let env = EvalEnv { names };
        let info = resolve_toplevel(&mut expr, &mut self.names, Some(&env)).map_err(front)?;
        if self.globals.len() < self.names.len() {
            self.globals.resize(self.names.len(), None);
        }
        let inline_receive = !self.names.is_user_defined("%receive");
        compile_toplevel(&expr, &info, env.names.len(), inline_receive).map_err(front)
    }

    /// A proper tail call: frame `fi` is replaced by a call of `callee` with the `argc`
    /// arguments at `fpos + 1..` (they slide down to the frame's base). Checks happen before
    /// anything changes, so an error is reported from the caller's frame.
    #[inline]
    pub(super) fn tail_call(
        &mut self,
        fi: usize,
        fpos: usize,
        callee: Rc<Closure>,
        argc: usize,
    ) -> Result<(), ErrorValue> {
        let p = &callee.proto;
        let nparams = p.nparams as usize;
        if (p.variadic && argc < nparams) || (!p.variadic && argc != nparams) {
            return Err(closure_arity_error(p, argc));
        }
        let base = self.exec.frames[fi].base;
        let need = base + p.nregs as usize + 1;
        if need > MAX_STACK {
            return Err(ErrorValue::new("StackOverflow", "stack overflow"));
        }
        for i in 0..argc {
            let v = std::mem::take(&mut self.exec.stack[fpos + 1 + i]);
            self.exec.stack[base + i] = v;
        }
        if self.exec.stack.len() < need {
            self.exec.stack.resize(need, Value::Nil);
        }
        if p.variadic {
            let rest = Value::list_from(self.exec.stack[base + nparams..base + argc].to_vec());
            self.exec.stack[base + nparams] = rest;
        }
        let frame = &mut self.exec.frames[fi];
        frame.closure = callee;
        frame.pc = 0;
        Ok(())
    }
}

/// Pushes a call frame by writing its fields in place. (Building the `Frame` on the Rust stack
/// and copying it made the store-to-load forwarding stall the hottest spot of the call path.)
#[inline(always)]
pub(super) fn push_frame(frames: &mut Vec<Frame>, closure: Rc<Closure>, base: usize, ret: usize) {
    frames.reserve(1);
    let len = frames.len();
    // SAFETY: after `reserve(1)` the capacity exceeds `len`, so slot `len` is allocated; every
    // field is initialised exactly once before `set_len` makes the element visible.
    unsafe {
        let p = frames.as_mut_ptr().add(len);
        std::ptr::addr_of_mut!((*p).closure).write(closure);
        std::ptr::addr_of_mut!((*p).pc).write(0);
        std::ptr::addr_of_mut!((*p).base).write(base);
        std::ptr::addr_of_mut!((*p).ret).write(ret);
        frames.set_len(len + 1);
    }
}

pub(super) fn undefined(names: &GlobalNames, index: u32) -> ErrorValue {
    ErrorValue::new("NameError", format!("Undefined symbol: {}", names.name(index)))
}

/// The arity error for calling a Slight function with `argc` arguments. Methods (named
/// `Class:method`) do not count the implicit `this`, and say which method it was.
pub(super) fn closure_arity_error(p: &Proto, argc: usize) -> ErrorValue {
    arity_error(p.name.as_deref(), p.nparams as usize, p.variadic, argc)
}

/// The arity error for a Slight function (VM or compiled) named `name`.
pub(crate) fn arity_error(name: Option<&str>, nparams: usize, variadic: bool, argc: usize) -> ErrorValue {
    let (expected, got, suffix) = match name {
        Some(name) if name.contains(':') && argc > 0 && nparams > 0 => {
            (nparams - 1, argc - 1, format!(" (calling method {name})"))
        }
        _ => (nparams, argc, String::new()),
    };
    if variadic {
        ErrorValue::arity(format!("Too few arguments: expected at least {expected}, got {got}{suffix}"))
    } else {
        ErrorValue::arity(format!("Wrong number of arguments: expected {expected}, got {got}{suffix}"))
    }
}

pub(super) fn wrong_arity(expected: usize, got: usize) -> ErrorValue {
    ErrorValue::arity(format!("Wrong number of arguments: expected {expected}, got {got}"))
}

pub(super) fn not_a_function(v: &Value) -> ErrorValue {
    ErrorValue::type_error(format!("Not a function: {}", v.repr()))
}

pub(crate) fn check_builtin_arity(def: &builtins::BuiltinDef, argc: usize) -> Result<(), ErrorValue> {
    if argc < def.min_args {
        let msg = if def.max_args == Some(def.min_args) {
            format!("Wrong number of arguments: expected {}, got {argc} (calling {})", def.min_args, def.name)
        } else {
            format!("Too few arguments: expected at least {}, got {argc} (calling {})", def.min_args, def.name)
        };
        return Err(ErrorValue::arity(msg));
    }
    if let Some(max) = def.max_args {
        if argc > max {
            let msg = if max == def.min_args {
                format!("Wrong number of arguments: expected {max}, got {argc} (calling {})", def.name)
            } else {
                format!("Too many arguments: expected at most {max}, got {argc} (calling {})", def.name)
            };
            return Err(ErrorValue::arity(msg));
        }
    }
    Ok(())
}
