//! The bytecode VM. Slight calls never recurse on the Rust stack: frames, registers and
//! exception handlers are plain data in the [`Vm`], so deep recursion ends in a catchable
//! `stack overflow` error and a process can later be suspended at any instruction.

pub use crate::builtins::Capabilities;
use crate::builtins::{self, BuiltinState, Host, BUILTINS};
use crate::bytecode::{CaptureSrc, Instr, Proto};
use crate::compiler::{compile_toplevel, type_mismatch};
use crate::convert::{sexp_to_value, value_to_sexp};
use crate::error::{Error, ErrorValue, TraceEntry};
use crate::ops;
use crate::value::{Closure, Value};
use slight_core::expander::{expand, MacroHost};
use slight_core::resolver::{resolve_toplevel, EvalEnv};
use slight_core::{GlobalNames, Reader, Sexp, SlightError, SourceMap, Span};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

/// Builtins written in Slight (see `prelude.sl`).
pub(crate) const PRELUDE: &str = include_str!("prelude.sl");
/// The file name the prelude's source is registered under.
pub(crate) const PRELUDE_NAME: &str = "<prelude>";

/// Deepest call nesting before `stack overflow`.
pub const MAX_FRAMES: usize = 200_000;
/// Most registers (values) on the VM stack before `stack overflow`.
pub const MAX_STACK: usize = 16_000_000;

/// Where program output goes.
#[derive(Clone, Debug)]
pub enum Output {
    Stdout,
    /// Captured into a shared string the embedder can read.
    Buffer(Rc<RefCell<String>>),
}

pub(crate) struct Frame {
    closure: Rc<Closure>,
    pc: usize,
    base: usize,
    /// Absolute register receiving the result.
    ret: usize,
}

#[derive(Debug)]
pub(crate) struct Handler {
    frame: usize,
    pc: usize,
    err: usize,
}

pub(crate) enum Entered {
    Frame,
    Value(Value),
}

/// A process's execution state: what is swapped in and out of the VM when processes switch.
#[derive(Default)]
pub(crate) struct Exec {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub handlers: Vec<Handler>,
    /// Nested interpreter loops running for this process (1 = only the outermost).
    pub run_depth: u32,
    pub native_depth: usize,
}

/// A Slight virtual machine: globals, macros, sources and the execution state.
pub struct Vm {
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) handlers: Vec<Handler>,
    globals: Vec<Option<Value>>,
    names: GlobalNames,
    macros: HashMap<String, Value>,
    pub sources: SourceMap,
    output: Output,
    at_line_start: bool,
    pub(crate) state: BuiltinState,
    arg_buf: Vec<Value>,
    include_paths: Vec<std::path::PathBuf>,
    /// The files being included, innermost last (cycle detection): canonical path and the
    /// path as shown in messages.
    pub(crate) include_stack: Vec<(std::path::PathBuf, String)>,
    /// The source file of `prelude.sl`, so error positions can skip its frames.
    pub(crate) prelude_file: Option<slight_core::FileId>,
    /// The prelude's functions: global index and closure (compiled code that calls its own
    /// compiled copy of one first checks that the global still holds it).
    prelude_fns: Vec<(usize, Rc<Closure>)>,
    /// Unique per VM: compiled modules cache their per-VM state under it.
    id: u32,
    /// What each compiled module that ran here registered (see `compiled.rs`).
    pub(crate) compiled_modules: Vec<(usize, crate::compiled::ModuleState)>,
    /// Compiled calls currently on the Rust stack (they count towards `MAX_FRAMES`).
    pub(crate) native_depth: usize,
    /// A tail call compiled code left for the enclosing call to make (the trampoline).
    pub(crate) pending_tail: Option<(Value, Vec<Value>)>,
    /// Lowest stack address compiled calls may enter at without growing the stack (see
    /// `compiled::with_stack`); `usize::MAX` until the first compiled call computes it.
    pub(crate) stack_limit: usize,
    /// Set while a process runs on its own stack (compiled processes; `own_stack.rs`).
    pub(crate) own_stack: Option<crate::own_stack::Running>,
    /// Interpreter loops running for the current process (see `Exec::run_depth`).
    pub(crate) run_depth: u32,
    /// Work left in the current process's time slice (see `process::SLICE`).
    pub(crate) budget: u32,
    /// Above zero while compiled code reruns generically after its specialized version
    /// bailed out: specialized versions are not tried then (`compiled::spec_result`).
    pub(crate) spec_off: u32,
    /// The pause marker (`process::pause`), made once: pausing a process allocates nothing.
    pub(crate) pause_marker: Rc<ErrorValue>,
}

/// Source of [`Vm`] ids.
static NEXT_VM_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

impl std::fmt::Debug for Exec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Exec {{ {} registers, {} frames }}", self.stack.len(), self.frames.len())
    }
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

impl Vm {
    /// A VM with every capability.
    pub fn new() -> Vm {
        Vm::with_capabilities(Capabilities::ALL)
    }

    /// A sandboxed VM: no `fs`, `sys` or `include`.
    pub fn sandboxed() -> Vm {
        Vm::with_capabilities(Capabilities::NONE)
    }

    pub fn with_capabilities(capabilities: Capabilities) -> Vm {
        let mut vm = Vm {
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            handlers: Vec::new(),
            globals: Vec::new(),
            names: GlobalNames::new(),
            macros: HashMap::new(),
            sources: SourceMap::new(),
            output: Output::Stdout,
            at_line_start: true,
            state: BuiltinState::new(capabilities),
            arg_buf: Vec::new(),
            include_paths: Vec::new(),
            prelude_file: None,
            prelude_fns: Vec::new(),
            include_stack: Vec::new(),
            id: NEXT_VM_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            compiled_modules: Vec::new(),
            native_depth: 0,
            pending_tail: None,
            stack_limit: usize::MAX,
            own_stack: None,
            run_depth: 0,
            budget: crate::process::SLICE,
            spec_off: 0,
            pause_marker: Rc::new(crate::process::pause()),
        };
        for (id, b) in BUILTINS.iter().enumerate() {
            vm.define_global(b.name, Value::Builtin(id as u32));
        }
        vm.prelude_file = Some(vm.sources.len() as slight_core::FileId);
        if let Err(e) = vm.eval_named(PRELUDE_NAME, PRELUDE) {
            unreachable!("the prelude is tested and must compile: {e}");
        }
        for (i, g) in vm.globals.iter().enumerate() {
            if let Some(Value::Func(c)) = g {
                if Some(c.proto.span.file) == vm.prelude_file {
                    vm.prelude_fns.push((i, c.clone()));
                }
            }
        }
        vm
    }

    /// Adds a directory searched by `include` (after the including file's own directory).
    pub fn add_include_path(&mut self, dir: impl Into<std::path::PathBuf>) {
        self.include_paths.push(dir.into());
    }

    pub fn include_paths(&self) -> &[std::path::PathBuf] {
        &self.include_paths
    }

    pub(crate) fn builtin_state(&self) -> &BuiltinState {
        &self.state
    }

    pub fn capabilities(&self) -> Capabilities {
        self.state.capabilities
    }

    /// Grants or withdraws capabilities (`fs`, `sys`, `include`) separately.
    pub fn set_capabilities(&mut self, capabilities: Capabilities) {
        self.state.capabilities = capabilities;
    }

    /// Restricts `fs/*` to paths inside `root` (`None`: no restriction).
    pub fn set_fs_root(&mut self, root: Option<std::path::PathBuf>) {
        self.state.fs_root = root;
    }

    /// Sends program output to `output` from now on.
    pub fn set_output(&mut self, output: Output) {
        self.output = output;
    }

    /// Captures program output in a buffer and returns it.
    pub fn capture_output(&mut self) -> Rc<RefCell<String>> {
        let buf = Rc::new(RefCell::new(String::new()));
        self.output = Output::Buffer(buf.clone());
        buf
    }

    /// Where output goes now.
    pub fn output_kind(&self) -> &Output {
        &self.output
    }

    /// True when the last output ended with a newline (or nothing was written).
    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }

    pub fn flush(&mut self) {
        if let Output::Stdout = self.output {
            let _ = std::io::stdout().flush();
        }
    }

    /// Defines (or replaces) a global.
    pub fn define_global(&mut self, name: &str, value: Value) {
        let i = self.names.intern(name) as usize;
        if self.globals.len() <= i {
            self.globals.resize(i + 1, None);
        }
        self.globals[i] = Some(value);
    }

    /// True when global `index` still holds the prelude's function defined under that name.
    pub(crate) fn holds_prelude(&self, index: usize) -> bool {
        match self.global_slot(index) {
            Some(Value::Func(c)) => self.prelude_fns.iter().any(|(i, p)| *i == index && Rc::ptr_eq(p, c)),
            _ => false,
        }
    }

    /// Defines a global from user code's point of view: calls to it are no longer inlined.
    pub fn define_user_global(&mut self, name: &str, value: Value) {
        self.define_global(name, value);
        let i = self.names.intern(name);
        self.names.mark_user_defined(i);
    }

    pub fn global(&self, name: &str) -> Option<Value> {
        let i = self.names.lookup(name)? as usize;
        self.globals.get(i).cloned().flatten()
    }

    /// This VM's unique id.
    #[inline(always)]
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The global-table index of `name`, allocating it.
    pub(crate) fn intern_global(&mut self, name: &str) -> u32 {
        let i = self.names.intern(name);
        if self.globals.len() <= i as usize {
            self.globals.resize(i as usize + 1, None);
        }
        i
    }

    #[inline(always)]
    pub(crate) fn global_slot(&self, index: usize) -> Option<&Value> {
        self.globals[index].as_ref()
    }

    #[inline(always)]
    pub(crate) fn set_global_slot(&mut self, index: usize, v: Value) {
        self.globals[index] = Some(v);
    }

    pub(crate) fn mark_user_defined(&mut self, index: usize) {
        self.names.mark_user_defined(index as u32);
    }

    pub(crate) fn undefined_global(&self, index: usize) -> ErrorValue {
        undefined(&self.names, index as u32)
    }

    pub(crate) fn install_macro(&mut self, name: &str, f: Value) {
        self.macros.insert(name.to_string(), f);
    }

    /// VM frames currently live (compiled calls count them together with their own depth).
    #[inline(always)]
    pub(crate) fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Builtins whose calls the VM rewrites (`apply`, `method/call`) instead of calling them.
    #[inline(always)]
    pub(crate) fn is_rewriting_builtin(&self, id: u32) -> bool {
        id == builtins::APPLY || id == *builtins::METHOD_CALL
    }

    /// `eval` of `form` from compiled code: compiled against `names`, whose cells are `cells`.
    pub(crate) fn eval_with_cells(
        &mut self,
        form: &Value,
        names: &[&str],
        cells: Vec<Value>,
        span: Span,
    ) -> Result<Value, ErrorValue> {
        let names = names.iter().map(|n| n.to_string()).collect();
        let proto = self.compile_eval(form, names, span)?;
        self.call_value(&Value::Func(Rc::new(Closure { proto, captures: cells.into_boxed_slice() })), &[])
            .map_err(Rc::unwrap_or_clone)
    }

    pub fn global_names(&self) -> impl Iterator<Item = &str> {
        self.names.names()
    }

    pub fn is_macro_name(&self, name: &str) -> bool {
        self.macros.contains_key(name)
    }

    /// Converts an internal error into the embedder's [`Error`] (with its rendering).
    pub fn to_error(&self, e: &Rc<ErrorValue>) -> Error {
        Error::from_value(e, &self.sources)
    }

    // ---- the pipeline: read → expand → resolve → compile → run, one form at a time ----

    /// Expands, resolves and compiles one form into a script function.
    pub fn compile_form(&mut self, form: &Sexp) -> Result<Rc<Proto>, Rc<ErrorValue>> {
        let front = |e: SlightError| Rc::new(ErrorValue::from_front(&e));
        crate::own_stack::front_end_room().map_err(Rc::new)?;
        let mut expr = expand(form, self).map_err(front)?;
        let info = resolve_toplevel(&mut expr, &mut self.names, None).map_err(front)?;
        if self.globals.len() < self.names.len() {
            self.globals.resize(self.names.len(), None);
        }
        let inline_receive = !self.names.is_user_defined("%receive");
        compile_toplevel(&expr, &info, 0, inline_receive).map_err(front)
    }

    /// Evaluates one read form.
    pub fn eval_form(&mut self, form: &Sexp) -> Result<Value, Rc<ErrorValue>> {
        let proto = self.compile_form(form)?;
        self.run_closure(Rc::new(Closure { proto, captures: Box::new([]) }))
    }

    /// Reads and evaluates every form of `src`, calling `each` with every form's result.
    /// Stops early when `each` returns false; a read error always stops (the rest of the text
    /// cannot be trusted).
    pub fn eval_each(&mut self, name: &str, src: &str, each: &mut dyn FnMut(&mut Vm, Result<Value, Error>) -> bool) {
        let file = self.sources.add(name, src);
        let text = self.sources.get(file).expect("just added").text.clone();
        let mut reader = Reader::new(&text, file);
        while let Some(form) = reader.next_form() {
            let result = match form {
                Ok(form) => match crate::include::include_target(&form) {
                    Some(target) => self.include(target, name, form.span),
                    None => self.eval_form(&form),
                }
                .map_err(|e| self.to_error(&e)),
                Err(e) => Err(self.to_error(&Rc::new(ErrorValue::from_front(&e)))),
            };
            let failed = result.is_err();
            let go_on = each(self, result);
            if !go_on || (failed && reader.at_end()) {
                break;
            }
        }
        self.flush();
    }

    /// Runs pending `timer/timeout` and `timer/interval` callbacks in due order, sleeping until
    /// each is due, until none is left (an interval runs until it is cleared). Stops at the
    /// first error a callback raises. Called after a program's top-level forms have finished.
    pub fn run_timers(&mut self) -> Result<(), Error> {
        while let Some(due) = self.next_timer_due() {
            let now = std::time::Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if let Err(e) = self.fire_due_timer() {
                return Err(self.to_error(&Rc::new(e)));
            }
        }
        Ok(())
    }

    /// When the earliest pending timer is due.
    pub(crate) fn next_timer_due(&self) -> Option<std::time::Instant> {
        self.state.timers.iter().map(|t| t.due).min()
    }

    /// Runs the earliest timer's callback if it is due (an interval is rescheduled first):
    /// its error, positioned at the timer's creation if it has no position of its own.
    pub(crate) fn fire_due_timer(&mut self) -> Result<(), ErrorValue> {
        let now = std::time::Instant::now();
        let Some(next) = (0..self.state.timers.len())
            .filter(|&i| self.state.timers[i].due <= now)
            .min_by_key(|&i| (self.state.timers[i].due, self.state.timers[i].id))
        else {
            return Ok(());
        };
        let timer = self.state.timers[next].clone();
        match timer.every {
            Some(period) => self.state.timers[next].due = timer.due + period,
            None => {
                self.state.timers.remove(next);
            }
        }
        let result = self.call_value(&timer.f, &[]);
        self.flush();
        result.map(|_| ()).map_err(|e| {
            let mut e = Rc::unwrap_or_clone(e);
            if e.span.is_none() {
                e.span = timer.origin;
            }
            e
        })
    }

    /// Evaluates source text; the value of the last form, or the first error.
    pub fn eval_named(&mut self, name: &str, src: &str) -> Result<Value, Error> {
        let mut last = Ok(Value::Nil);
        self.eval_each(name, src, &mut |_, r| {
            let ok = r.is_ok();
            last = r;
            ok
        });
        last
    }

    /// Evaluates source text (named `<eval>` in errors).
    pub fn eval(&mut self, src: &str) -> Result<Value, Error> {
        self.eval_named("<eval>", src)
    }

    /// Calls a function value with arguments, from Rust.
    pub fn call_value(&mut self, f: &Value, args: &[Value]) -> Result<Value, Rc<ErrorValue>> {
        let result = match f {
            Value::Func(_) => {
                // Place the call just above the live registers of the current frame (the
                // registers above are dead), reusing stack slots instead of growing the stack.
                let fpos = self.frames.last().map_or(0, |fr| fr.base + fr.closure.proto.nregs as usize + 1);
                let need = fpos + 1 + args.len();
                if self.stack.len() < need {
                    self.stack.resize(need, Value::Nil);
                }
                self.stack[fpos] = f.clone();
                self.stack[fpos + 1..need].clone_from_slice(args);
                let entry = self.frames.len();
                if let Value::Func(c) = f {
                    let p = &c.proto;
                    if !p.variadic && p.nparams as usize == args.len() && entry < MAX_FRAMES {
                        let need = fpos + 1 + p.nregs as usize + 1;
                        if self.stack.len() < need {
                            self.stack.resize(need, Value::Nil);
                        }
                        push_frame(&mut self.frames, c.clone(), fpos + 1, fpos);
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
        if self.frames.is_empty() {
            self.stack.clear();
        }
        result
    }

    fn run_closure(&mut self, closure: Rc<Closure>) -> Result<Value, Rc<ErrorValue>> {
        self.call_value(&Value::Func(closure), &[])
    }

    /// Builtins, registered functions and quoted builtin names (compat).
    fn call_non_closure(&mut self, f: &Value, args: &[Value]) -> Result<Value, ErrorValue> {
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
            Value::Func(_) => self.call_value(f, args).map_err(Rc::unwrap_or_clone),
            Value::Compiled(c) => crate::compiled::enter(self, c, args),
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
        let closure = match &self.stack[fpos] {
            Value::Func(c) => c.clone(),
            callee => {
                let f = callee.clone();
                let mut args = std::mem::take(&mut self.arg_buf);
                args.clear();
                args.extend_from_slice(&self.stack[fpos + 1..fpos + 1 + argc]);
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
        if self.frames.len() >= MAX_FRAMES || need > MAX_STACK {
            return Err(ErrorValue::new("StackOverflow", "stack overflow"));
        }
        if self.stack.len() < need {
            self.stack.resize(need, Value::Nil);
        }
        if proto.variadic {
            if argc < nparams {
                return Err(closure_arity_error(proto, argc));
            }
            let rest = Value::list_from(self.stack[nb + nparams..nb + argc].to_vec());
            self.stack[nb + nparams] = rest;
        } else if argc != nparams {
            return Err(closure_arity_error(proto, argc));
        }
        push_frame(&mut self.frames, closure, nb, ret);
        Ok(Entered::Frame)
    }

    /// The function a quoted name stands for (compat: `('f x)`, `(list/map 'f xs)`): the global
    /// of that name, if it is a function.
    fn named_function(&self, name: &str) -> Option<Value> {
        self.global(name)
            .filter(|g| matches!(g, Value::Func(_) | Value::Builtin(_) | Value::Native(_) | Value::Compiled(_)))
    }

    /// Rewrites the call at `stack[fpos]` in place until its callee is not `apply` or a quoted
    /// function name: `(apply f a (list b c))` becomes `(f a b c)`, `('f x)` becomes `(f x)`.
    /// Returns the new argument count. Keeps such calls in the VM loop (no Rust recursion, and
    /// proper tail calls through `apply`).
    fn resolve_callee(&mut self, fpos: usize, mut argc: usize) -> Result<usize, ErrorValue> {
        loop {
            match &self.stack[fpos] {
                Value::Builtin(id) if *id == builtins::APPLY => {
                    check_builtin_arity(&BUILTINS[builtins::APPLY as usize], argc)?;
                    let args: Vec<Value> = self.stack[fpos + 1..fpos + 1 + argc].to_vec();
                    let spread = builtins::apply_args(&args)?;
                    argc = spread.len();
                    let need = fpos + 1 + argc + 1;
                    if need > MAX_STACK {
                        return Err(ErrorValue::new("StackOverflow", "stack overflow"));
                    }
                    if self.stack.len() < need {
                        self.stack.resize(need, Value::Nil);
                    }
                    self.stack[fpos] = args[0].clone();
                    for (i, v) in spread.into_iter().enumerate() {
                        self.stack[fpos + 1 + i] = v;
                    }
                }
                // (obj :method args...) → (method obj args...)
                Value::Object(_) => {
                    let key = if argc >= 1 { self.stack[fpos + 1].clone() } else { Value::Nil };
                    let method = builtins::object::find_method(&self.stack[fpos], &key)?;
                    let obj = std::mem::replace(&mut self.stack[fpos], method);
                    self.stack[fpos + 1] = obj;
                }
                // (method/call obj :method args...) → (obj :method args...)
                Value::Builtin(id) if *id == *builtins::METHOD_CALL => {
                    check_builtin_arity(&BUILTINS[*id as usize], argc)?;
                    if !matches!(self.stack[fpos + 1], Value::Object(_)) {
                        return Err(ErrorValue::type_error(format!(
                            "method/call: {} is not an object",
                            self.stack[fpos + 1].repr()
                        )));
                    }
                    for i in 0..argc {
                        let v = std::mem::take(&mut self.stack[fpos + 1 + i]);
                        self.stack[fpos + i] = v;
                    }
                    argc -= 1;
                }
                Value::Sym(name) | Value::Str(name) => match self.named_function(name) {
                    Some(f) => self.stack[fpos] = f,
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
            for (i, f) in self.frames.iter().enumerate().rev() {
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
    fn raise(&mut self, e: ErrorValue, fi: usize, pc: usize, entry: usize) -> Result<(), Rc<ErrorValue>> {
        if crate::process::is_pause(&e) {
            self.frames[fi].pc = pc - 1;
            return Err(self.pause_marker.clone());
        }
        self.frames[fi].pc = pc;
        let e = self.attach(e, Some((fi, pc)));
        self.unwind(e, entry)
    }

    /// The time slice ran out at the instruction before `pc`: switches processes if another may
    /// need the thread. `Ok(true)`: the frame was saved at that instruction (run it again).
    #[cold]
    #[inline(never)]
    fn slice_over(&mut self, fi: usize, pc: usize) -> Result<bool, Rc<ErrorValue>> {
        if !self.state.sched.others_runnable() {
            return Ok(false);
        }
        self.frames[fi].pc = pc - 1;
        self.preempt()?;
        Ok(true)
    }

    /// Unwinds to the innermost handler of this run, or returns the error.
    fn unwind(&mut self, e: Rc<ErrorValue>, entry: usize) -> Result<(), Rc<ErrorValue>> {
        while let Some(h) = self.handlers.last() {
            if h.frame < entry {
                break;
            }
            let h = self.handlers.pop().expect("handler");
            if h.frame >= self.frames.len() {
                continue;
            }
            self.frames.truncate(h.frame + 1);
            self.frames[h.frame].pc = h.pc;
            self.stack[h.err] = Value::Error(e);
            return Ok(());
        }
        self.frames.truncate(entry);
        Err(e)
    }

    /// Compiles the form given to `eval` against the names visible where `eval` was called.
    fn compile_eval(&mut self, form: &Value, names: Vec<String>, span: Span) -> Result<Rc<Proto>, ErrorValue> {
        let sexp = value_to_sexp(form, span).map_err(|m| ErrorValue::new("SyntaxError", m))?;
        let front = |e: SlightError| ErrorValue::from_front(&e);
        crate::own_stack::front_end_room()?;
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
    fn tail_call(&mut self, fi: usize, fpos: usize, callee: Rc<Closure>, argc: usize) -> Result<(), ErrorValue> {
        let p = &callee.proto;
        let nparams = p.nparams as usize;
        if (p.variadic && argc < nparams) || (!p.variadic && argc != nparams) {
            return Err(closure_arity_error(p, argc));
        }
        let base = self.frames[fi].base;
        let need = base + p.nregs as usize + 1;
        if need > MAX_STACK {
            return Err(ErrorValue::new("StackOverflow", "stack overflow"));
        }
        for i in 0..argc {
            let v = std::mem::take(&mut self.stack[fpos + 1 + i]);
            self.stack[base + i] = v;
        }
        if self.stack.len() < need {
            self.stack.resize(need, Value::Nil);
        }
        if p.variadic {
            let rest = Value::list_from(self.stack[base + nparams..base + argc].to_vec());
            self.stack[base + nparams] = rest;
        }
        let frame = &mut self.frames[fi];
        frame.closure = callee;
        frame.pc = 0;
        Ok(())
    }

    /// The interpreter loop. Runs until the frame at index `entry` returns (or, for a spawned
    /// process's outermost loop, until the process pauses: see `scheduler.rs`).
    pub(crate) fn interpret(&mut self, entry: usize) -> Result<Value, Rc<ErrorValue>> {
        self.run_depth += 1;
        let r = self.run_frames(entry);
        self.run_depth -= 1;
        r
    }

    fn run_frames(&mut self, entry: usize) -> Result<Value, Rc<ErrorValue>> {
        // The time slice is counted in a local (a register), not in the VM: each loop (and
        // nested loop) counts its own work; the count is approximate by design.
        let mut budget: u32 = self.budget;
        'frame: loop {
            let fi = self.frames.len() - 1;
            // SAFETY: frame `fi` owns an `Rc` of this closure. Every path that pops or replaces
            // that frame leaves this block (`continue 'frame` or `return`) before `closure` is
            // used again, so the reference never outlives the frame's `Rc`.
            let closure: &Closure = unsafe { &*Rc::as_ptr(&self.frames[fi].closure) };
            let proto: &Proto = &closure.proto;
            let code = &proto.code[..];
            let base = self.frames[fi].base;
            let mut pc = self.frames[fi].pc;

            // Register access without bounds checks.
            // SAFETY: `Proto::verify` (run on every compiled function) guarantees every register
            // operand is below `proto.nregs`; `enter` makes `stack.len() >= base + nregs` before
            // a frame runs, and the stack never shrinks below a live frame's registers. The
            // pointer is re-read at every access, so a reallocation (a nested call growing the
            // stack) cannot leave it dangling.
            macro_rules! rd {
                ($r:expr) => {
                    unsafe { &*self.stack.as_ptr().add(base + $r as usize) }
                };
            }
            macro_rules! wr {
                ($r:expr, $v:expr) => {{
                    let v = $v;
                    let slot = unsafe { &mut *self.stack.as_mut_ptr().add(base + $r as usize) };
                    store(slot, v);
                }};
            }
            macro_rules! take {
                ($r:expr) => {
                    std::mem::take(unsafe { &mut *self.stack.as_mut_ptr().add(base + $r as usize) })
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
                        && self.frames.len() < MAX_FRAMES
                        && $fpos + p.nregs as usize + 2 <= self.stack.len()
                    {
                        let c = c.clone();
                        push_frame(&mut self.frames, c, $fpos + 1, $fpos);
                        continue 'frame;
                    }
                }};
            }
            // Any other call: closures (variadic, first use of the stack), builtins, `apply`.
            macro_rules! generic_call {
                ($fpos:expr, $argc:expr) => {
                    match self.enter($fpos, $argc as usize, $fpos) {
                        Ok(Entered::Frame) => continue 'frame,
                        Ok(Entered::Value(v)) => store(&mut self.stack[$fpos], v),
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
                        self.frames[fi].pc = pc;
                        self.stack[$fpos] = Value::Func(callee);
                        generic_call!($fpos, argc);
                        continue;
                    }
                    if !p.variadic && p.nparams as usize == argc && (base + p.nregs as usize) < self.stack.len() {
                        for i in 0..argc {
                            let v = take!($cb as usize + 1 + i);
                            wr!(i, v);
                        }
                        let frame = &mut self.frames[fi];
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
                    self.frames[fi].pc = pc;
                    let argc = check!(self.resolve_callee($fpos, $argc as usize));
                    if let Value::Func(callee) = &self.stack[$fpos] {
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
            macro_rules! tick {
                () => {
                    budget -= 1;
                    if budget == 0 {
                        budget = crate::process::SLICE;
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
                        wr!(dst, Value::list_from(self.stack[s..s + count as usize].to_vec()));
                    }
                    Instr::Append { dst, start, count } => {
                        let s = base + start as usize;
                        let r = ops::append(&self.stack[s..s + count as usize]);
                        wr!(dst, check!(r));
                    }
                    Instr::AppendDotted { dst, start, count } => {
                        let s = base + start as usize;
                        let r = ops::append_quasi(&self.stack[s..s + count as usize]);
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
                        self.frames[fi].pc = pc;
                        let fpos = base + cb as usize;
                        if let Value::Func(callee) = rd!(cb) {
                            push_frame_if_fast!(callee, argc, fpos);
                        }
                        generic_call!(fpos, argc);
                    }
                    Instr::CallLocal { base: cb, argc, func } => {
                        tick!();
                        self.frames[fi].pc = pc;
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
                        self.frames[fi].pc = pc;
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
                                args.extend_from_slice(&self.stack[fpos + 1..fpos + 1 + argc as usize]);
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
                        let frame = self.frames.pop().expect("frame");
                        if self.frames.len() == entry {
                            return Ok(v);
                        }
                        store(&mut self.stack[frame.ret], v);
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
                    Instr::TryPush { err, offset } => {
                        let target = (pc as isize + offset as isize) as usize;
                        self.handlers.push(Handler { frame: fi, pc: target, err: base + err as usize });
                    }
                    Instr::TryPop => {
                        self.handlers.pop();
                    }
                    Instr::Throw { src } => {
                        let e = match rd!(src).clone() {
                            Value::Error(e) => {
                                if e.span.is_some() {
                                    self.frames[fi].pc = pc;
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
                        self.frames[fi].pc = pc;
                        let span = proto.spans[pc - 1];
                        let compiled = self.compile_eval(&form, names, span);
                        let p = check!(compiled);
                        let fpos = base + proto.nregs as usize + 1;
                        if self.stack.len() <= fpos {
                            self.stack.resize(fpos + 1, Value::Nil);
                        }
                        self.stack[fpos] = Value::Func(Rc::new(Closure { proto: p, captures: cells }));
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
                                self.frames[fi].pc = pc - 1;
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

/// Pushes a call frame by writing its fields in place. (Building the `Frame` on the Rust stack
/// and copying it made the store-to-load forwarding stall the hottest spot of the call path.)
#[inline(always)]
fn push_frame(frames: &mut Vec<Frame>, closure: Rc<Closure>, base: usize, ret: usize) {
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

fn undefined(names: &GlobalNames, index: u32) -> ErrorValue {
    ErrorValue::new("NameError", format!("Undefined symbol: {}", names.name(index)))
}

/// The arity error for calling a Slight function with `argc` arguments. Methods (named
/// `Class:method`) do not count the implicit `this`, and say which method it was.
fn closure_arity_error(p: &Proto, argc: usize) -> ErrorValue {
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

fn wrong_arity(expected: usize, got: usize) -> ErrorValue {
    ErrorValue::arity(format!("Wrong number of arguments: expected {expected}, got {got}"))
}

fn not_a_function(v: &Value) -> ErrorValue {
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

impl Host for Vm {
    fn write_out(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.at_line_start = text.ends_with('\n');
        match &self.output {
            Output::Stdout => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
            Output::Buffer(b) => b.borrow_mut().push_str(text),
        }
    }

    fn write_err(&mut self, text: &str) {
        match &self.output {
            Output::Stdout => {
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            Output::Buffer(b) => b.borrow_mut().push_str(text),
        }
    }

    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value, ErrorValue> {
        match f {
            Value::Func(_) => self.call_value(f, args).map_err(Rc::unwrap_or_clone),
            _ => self.call_non_closure(f, args),
        }
    }

    fn state(&mut self) -> &mut BuiltinState {
        &mut self.state
    }

    fn wait(&mut self) -> Result<(), ErrorValue> {
        if self.on_own_stack() {
            return self.wait_on_own_stack();
        }
        if self.can_pause() {
            return Err(crate::process::pause());
        }
        self.block_in_place()
    }

    fn others_ready(&mut self) -> bool {
        self.state.sched.wake_due();
        !self.state.sched.run_queue.is_empty()
    }

    fn yield_now(&mut self) -> Result<(), ErrorValue> {
        self.yield_process()
    }

    fn call_site(&self) -> Option<Span> {
        let f = self.frames.last()?;
        f.closure.proto.spans.get(f.pc.checked_sub(1)?).copied()
    }
}

impl MacroHost for Vm {
    fn is_macro(&self, name: &str) -> bool {
        self.macros.contains_key(name)
    }

    /// Without the `wgsl` feature kernels are not validated here (they cannot run either).
    fn check_shader(&mut self, wgsl: &str) -> Result<(), String> {
        #[cfg(feature = "wgsl")]
        return crate::wgsl::validate_wgsl(wgsl).map(|_| ());
        #[cfg(not(feature = "wgsl"))]
        {
            let _ = wgsl;
            Ok(())
        }
    }

    fn expand_macro(&mut self, name: &str, args: &[Sexp], span: Span) -> Result<Sexp, SlightError> {
        let f = self.macros.get(name).cloned().expect("is_macro checked");
        let args: Vec<Value> = args.iter().map(sexp_to_value).collect();
        match self.call_value(&f, &args) {
            Ok(v) => value_to_sexp(&v, span).map_err(|m| SlightError::syntax(format!("macro {name}: {m}"), span)),
            Err(e) => Err(SlightError::syntax(format!("error expanding macro {name}: {}", e.message), span)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
