//! The bytecode VM. Slight calls never recurse on the Rust stack: frames, registers and
//! exception handlers are plain data in the [`Vm`], so deep recursion ends in a catchable
//! `stack overflow` error and a process can later be suspended at any instruction.
//!
//! Split by concern, as Lua splits `lstate.c`, `ldo.c` and `lvm.c`:
//! - this file: the VM's state ([`Vm`], `Exec`, frames, handlers) and its API: creating a VM,
//!   globals, output, and the pipeline that reads, expands, resolves, compiles and runs one
//!   top-level form at a time ([`Vm::eval_each`]);
//! - `call`: calls from Rust and from bytecode, tail calls, callee rewriting (`apply`, methods),
//!   raising and unwinding errors, arity errors;
//! - `interp`: the interpreter loop (`Vm::interpret`), one `match` arm per instruction of
//!   `bytecode::Instr`;
//! - `host`: what builtins (`Host`) and the expander (`MacroHost`) may ask of the VM.

mod call;
mod host;
mod interp;

pub(crate) use call::arity_error;
#[cfg(feature = "codegen")]
pub(crate) use call::check_builtin_arity;
use call::undefined;

pub use crate::builtins::Capabilities;
use crate::builtins::{self, BuiltinState, BUILTINS};
use crate::bytecode::compile::compile_toplevel;
use crate::bytecode::Proto;
use crate::error::{Error, ErrorValue};
use crate::front_end::{expand_resolve, run_text, Event, Includes};
use crate::value::{Closure, Value};
use slight_core::core::FnInfo;
use slight_core::{Expr, GlobalNames, Sexp, SourceMap, Span};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

/// Builtins written in Slight (see `prelude.sl`).
pub(crate) const PRELUDE: &str = include_str!("../prelude.sl");
/// The file name the prelude's source is registered under.
pub(crate) const PRELUDE_NAME: &str = "<prelude>";

/// Deepest call nesting before `stack overflow`.
pub const MAX_FRAMES: usize = 200_000;
/// Most registers (values) on the VM stack before `stack overflow`.
pub const MAX_STACK: usize = 16_000_000;

/// Where program output goes.
#[derive(Clone, Debug)]
pub enum Output {
    /// Written to the process's standard output (the default).
    Stdout,
    /// Captured into a shared string the embedder can read.
    Buffer(Rc<RefCell<String>>),
}

pub(crate) struct Frame {
    closure: Rc<Closure>,
    pub(crate) pc: usize,
    base: usize,
    /// Absolute register receiving the result.
    ret: usize,
}

#[derive(Debug)]
pub(crate) struct Handler {
    frame: usize,
    pc: usize,
    err: usize,
    /// A `finally` handler: it also gets the errors `try` cannot catch.
    finally: bool,
}

pub(crate) enum Entered {
    Frame,
    Value(Value),
}

/// A process's execution state: the running process's is `Vm::exec`; the others' are kept
/// in the process table and swapped in when they run.
#[derive(Default)]
pub(crate) struct Exec {
    /// The registers of every frame, each frame's at `base..base + nregs`.
    pub stack: Vec<Value>,
    /// The call frames, innermost last.
    pub frames: Vec<Frame>,
    /// The active `try` handlers, innermost last.
    pub handlers: Vec<Handler>,
    /// Nested interpreter loops running for this process (1 = only the outermost).
    pub run_depth: u32,
    /// Compiled calls currently on the Rust stack (they count towards `MAX_FRAMES`).
    pub native_depth: usize,
}

/// A Slight virtual machine: globals, macros, sources and the execution state.
pub struct Vm {
    /// The running process's registers, frames and handlers.
    pub(crate) exec: Exec,
    globals: Vec<Option<Value>>,
    names: GlobalNames,
    macros: HashMap<String, Value>,
    /// Every source text this VM has read (programs, `eval`, includes, the prelude), for
    /// rendering errors with their source line.
    pub sources: SourceMap,
    output: Output,
    at_line_start: bool,
    pub(crate) state: BuiltinState,
    arg_buf: Vec<Value>,
    /// Include search paths and the files being included.
    pub(crate) includes: Includes,
    /// The source file of `prelude.sl`, so error positions can skip its frames.
    pub(crate) prelude_file: Option<slight_core::FileId>,
    /// The prelude's functions: global index and closure (compiled code that calls its own
    /// compiled copy of one first checks that the global still holds it).
    prelude_fns: Vec<(usize, Rc<Closure>)>,
    /// Unique per VM: compiled modules cache their per-VM state under it.
    id: u32,
    /// What each compiled module that ran here registered (see `native/rt.rs`).
    pub(crate) compiled_modules: Vec<(usize, crate::native::rt::ModuleState)>,
    /// A tail call compiled code left for the enclosing call to make (the trampoline).
    pub(crate) pending_tail: Option<(Value, Vec<Value>)>,
    /// Lowest stack address compiled calls may enter at without growing the stack (see
    /// `native::rt::with_stack`); `usize::MAX` until the first compiled call computes it.
    pub(crate) stack_limit: usize,
    /// Set while a process runs on its own stack (compiled processes; `native/own_stack.rs`).
    pub(crate) own_stack: Option<crate::native::own_stack::Running>,
    /// Work left in the current process's time slice (see `process::SLICE`).
    pub(crate) budget: u32,
    /// Above zero while compiled code reruns generically after its specialized version
    /// bailed out: specialized versions are not tried then (`native::rt::spec_result`).
    pub(crate) spec_off: u32,
    /// The pause marker (`process::pause`), made once: pausing a process allocates nothing.
    pub(crate) pause_marker: Rc<ErrorValue>,
    /// The embedder's limits and their accounting (`limits.rs`).
    pub(crate) guard: crate::limits::Guard,
    /// Deepest call nesting: [`MAX_FRAMES`], or the `call_depth` limit when lower.
    pub(crate) max_frames: usize,
    /// This thread's live bytes before the VM was made (`memory.rs`): what is above counts.
    pub(crate) memory_baseline: isize,
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

    /// A sandboxed VM: no `fs`, `sys` or `include`, and the finite [`Limits::sandboxed`]
    /// (memory, output, call depth, string and collection sizes).
    ///
    /// [`Limits::sandboxed`]: crate::Limits::sandboxed
    pub fn sandboxed() -> Vm {
        let mut vm = Vm::with_capabilities(Capabilities::NONE);
        vm.set_limits(crate::Limits::sandboxed());
        vm
    }

    /// A VM with exactly these capabilities.
    pub fn with_capabilities(capabilities: Capabilities) -> Vm {
        let mut vm = Vm {
            exec: Exec { stack: Vec::with_capacity(1024), frames: Vec::with_capacity(64), ..Exec::default() },
            globals: Vec::new(),
            names: GlobalNames::new(),
            macros: HashMap::new(),
            sources: SourceMap::new(),
            output: Output::Stdout,
            at_line_start: true,
            state: BuiltinState::new(capabilities),
            arg_buf: Vec::new(),
            prelude_file: None,
            prelude_fns: Vec::new(),
            includes: Includes::default(),
            id: NEXT_VM_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            compiled_modules: Vec::new(),
            pending_tail: None,
            stack_limit: usize::MAX,
            own_stack: None,
            budget: crate::process::SLICE,
            spec_off: 0,
            pause_marker: Rc::new(crate::process::pause()),
            guard: crate::limits::Guard::new(),
            max_frames: MAX_FRAMES,
            memory_baseline: crate::memory::thread_live(),
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
        self.includes.paths.push(dir.into());
    }

    /// The directories searched by `include`, in order.
    pub fn include_paths(&self) -> &[std::path::PathBuf] {
        &self.includes.paths
    }

    /// The capabilities scripts on this VM have.
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

    /// Flushes standard output when output goes there.
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

    /// The value of a global, if it is defined.
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
        self.exec.frames.len()
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

    /// The names of every global known to this VM (defined or only referred to).
    pub fn global_names(&self) -> impl Iterator<Item = &str> {
        self.names.names()
    }

    /// True when `name` is a macro defined with `defmacro`.
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
        let (expr, info) = expand_resolve(self, form).map_err(|e| Rc::new(ErrorValue::from_front(&e)))?;
        self.compile_resolved(&expr, &info)
    }

    /// Compiles a resolved top-level form into a script function.
    fn compile_resolved(&mut self, expr: &Expr, info: &FnInfo) -> Result<Rc<Proto>, Rc<ErrorValue>> {
        if self.globals.len() < self.names.len() {
            self.globals.resize(self.names.len(), None);
        }
        let inline_receive = !self.names.is_user_defined("%receive");
        compile_toplevel(expr, info, 0, inline_receive).map_err(|e| Rc::new(ErrorValue::from_front(&e)))
    }

    /// Evaluates one read form.
    pub fn eval_form(&mut self, form: &Sexp) -> Result<Value, Rc<ErrorValue>> {
        let proto = self.compile_form(form)?;
        self.run_script(proto)
    }

    /// Runs a compiled top-level form.
    fn run_script(&mut self, proto: Rc<Proto>) -> Result<Value, Rc<ErrorValue>> {
        self.run_closure(Rc::new(Closure { proto, captures: Box::new([]) }))
    }

    /// Reads and evaluates every form of `src` through the shared front end
    /// ([`run_text`](crate::front_end::run_text)), calling `each` with every form's result.
    /// Stops early when `each` returns false; a read error always stops (the rest of the text
    /// cannot be trusted).
    pub fn eval_each(&mut self, name: &str, src: &str, each: &mut dyn FnMut(&mut Vm, Result<Value, Error>) -> bool) {
        self.host_enter();
        let file = self.sources.add(name, src);
        let text = self.sources.get(file).expect("just added").text.clone();
        run_text(self, &text, file, &mut |vm, event| {
            let result = match event {
                Event::Form(_, resolved) => resolved
                    .map_err(|e| Rc::new(ErrorValue::from_front(&e)))
                    .and_then(|(expr, info)| vm.compile_resolved(&expr, &info))
                    .and_then(|proto| vm.run_script(proto)),
                Event::Include(target, span) => vm.include(target, name, span),
                Event::ReadError(e) => Err(Rc::new(ErrorValue::from_front(&e))),
            };
            let result = result.map_err(|e| vm.to_error(&e));
            each(vm, result)
        });
        self.flush();
        self.host_leave();
    }

    /// Runs a top-level `(include target)` written in source `from`: every form of the file in
    /// order; the value of its last form.
    pub(crate) fn include(&mut self, target: &str, from: &str, span: Span) -> Result<Value, Rc<ErrorValue>> {
        let include_error = |message: String| {
            let mut e = ErrorValue::new("IncludeError", message);
            e.span = Some(span);
            Rc::new(e)
        };
        if !self.state.capabilities.include {
            return Err(include_error("capability denied: include".into()));
        }
        let root = self.state.fs_root.clone();
        let opened = self.includes.open(target, from, root.as_deref()).map_err(include_error)?;
        let mut last: Result<Value, Error> = Ok(Value::Nil);
        self.eval_each(&opened.shown, &opened.text, &mut |_, r| {
            let ok = r.is_ok();
            last = r;
            ok
        });
        self.includes.close();
        last.map_err(|e| match &e.value {
            Value::Error(inner) => inner.clone(),
            _ => include_error(e.message.clone()),
        })
    }

    /// Runs pending `timer/timeout` and `timer/interval` callbacks in due order, sleeping until
    /// each is due, until none is left (an interval runs until it is cleared). Stops at the
    /// first error a callback raises. Called after a program's top-level forms have finished.
    pub fn run_timers(&mut self) -> Result<(), Error> {
        self.host_enter();
        let r = self.run_timers_entered();
        self.host_leave();
        r
    }

    fn run_timers_entered(&mut self) -> Result<(), Error> {
        while let Some(due) = self.next_timer_due() {
            if let Err(e) = self.guard.sleep_until(due).and_then(|()| self.fire_due_timer()) {
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
}
