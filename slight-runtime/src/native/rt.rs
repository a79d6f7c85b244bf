//! Runtime support for compiled Slight code: what the Rust that `slight!` and `build.rs`
//! generate calls into (re-exported by the facade as `slight::__rt`).
//!
//! Compiled code uses the VM's own [`Value`], global table, builtin table, macro table and
//! output sink, so compiled and interpreted code can call each other freely:
//!
//! * A compiled function is `fn(&mut Vm, env, args) -> Result<Value, ErrorValue>` ([`Code`]);
//!   as a value it is a [`Value::Compiled`] holding a static [`FnInfo`] and its captured `env`.
//! * A [`Module`] (one per compiled file or `slight!` block) names its source text, its
//!   constants, the globals it uses and its error sites. The first time a module meets a VM it
//!   registers its source (so errors render with the source line), interns its globals and
//!   decodes its constants; later accesses are an index into that per-VM state.
//! * Calls go through [`call`] and [`call_global`]: compiled callees are entered directly,
//!   everything else through the VM. Each compiled call counts towards the VM's frame limit
//!   (deep recursion is a catchable `stack overflow`, as on the VM) and runs on a stack that
//!   grows on demand (`stacker`), so the Rust stack never overflows. Tail calls that are not
//!   self calls go through a trampoline ([`tail_call`]): the callee is entered by the nearest
//!   enclosing [`call`], so mutual recursion in tail position runs in constant stack.
//! * Errors get their position from the compiled code's [`Site`]s ([`at`]), one per fallible
//!   operation, and a Slight stack entry per function they pass through.
//! * Typed native functions (`fn fib(n: i64) -> i64`) signal integer overflow with
//!   [`overflow`], an unwind that [`catch_overflow`] at the dynamic boundary turns back into
//!   the VM's `integer overflow` error (no panic message is printed: `resume_unwind` skips the
//!   panic hook).
//!
//! Stack growth and process stacks need the `compiled` feature (stacker, corosensei). A build
//! without it has no `slight::__rt`, so no generated code runs there; if some did, a call that
//! needs more stack would be a `stack overflow` error.

/// Every item the lowering may name (`slight_core::rt_api`) exists here: this expands to a
/// `use` of each, so a missing one is a compile error of this crate.
macro_rules! check_rt_items {
    ($($item:ident),* $(,)?) => {
        #[allow(unused_imports)]
        mod rt_api_check {
            use super::{$($item),*};
        }
    };
}
slight_core::rt_items!(check_rt_items);

use crate::builtins::{builtin_id, Host, BUILTINS};
use crate::bytecode::compile::type_mismatch;
use crate::convert::{sexp_to_value, IntoValue};
pub use crate::error::Error;
pub use crate::error::ErrorValue;
use crate::error::TraceEntry;
pub use crate::vm::Vm;
use crate::vm::MAX_FRAMES;
pub use crate::{ops, Value};
pub use slight_core::core::Type;
use slight_core::{Reader, Span};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

/// The result of compiled code.
pub type Res = Result<Value, ErrorValue>;

/// A compiled function body: the VM, the captured values, the arguments.
pub type Code = fn(&mut Vm, &[Value], &[Value]) -> Res;

/// The static description of a compiled function.
pub struct FnInfo {
    /// The function's name, or `None` for an anonymous function (used in arity errors).
    pub name: Option<&'static str>,
    /// The number of fixed parameters.
    pub nparams: u32,
    /// Whether it accepts more than `nparams` arguments (the extra ones form its rest parameter).
    pub variadic: bool,
    /// The compiled body.
    pub code: Code,
}

impl FnInfo {
    /// A function description (`const`, for the statics that generated code declares).
    pub const fn new(name: Option<&'static str>, nparams: u32, variadic: bool, code: Code) -> FnInfo {
        FnInfo { name, nparams, variadic, code }
    }
}

/// A compiled function value: its code and the values it captured.
pub struct CompiledFn {
    /// The function's static description.
    pub info: &'static FnInfo,
    /// The captured values, in the order the code indexes them.
    pub env: Box<[Value]>,
}

impl Drop for CompiledFn {
    // Long chains of closures capturing closures are freed without recursion (the values are
    // handed to the list/closure dismantling in `value.rs`).
    fn drop(&mut self) {
        if crate::value::captures_could_recurse(&self.env) {
            crate::value::drop_iteratively(std::mem::take(&mut self.env).into_vec());
        }
    }
}

/// A position in a compiled module's source, with the function it is in (for the Slight stack).
pub struct Site {
    /// Index into the module's `files`.
    pub file: u32,
    /// Start of the operation's byte range in that file.
    pub start: u32,
    /// End of the operation's byte range (exclusive).
    pub end: u32,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based column of the start.
    pub col: u32,
    /// The enclosing function's name as the Slight stack shows it (`lambda` for an anonymous one).
    pub function: &'static str,
}

impl Site {
    /// A site (`const`, for the statics that generated code declares).
    pub const fn new(file: u32, start: u32, end: u32, line: u32, col: u32, function: &'static str) -> Site {
        Site { file, start, end, line, col, function }
    }
}

/// A compiled module's static tables. See the module documentation.
pub struct Module {
    /// The source files (name, text) the module was compiled from: the main file first, then
    /// the files it includes.
    pub files: &'static [(&'static str, &'static str)],
    /// Constants, as Slight data text (decoded once per VM).
    pub consts: &'static [&'static str],
    /// The global names the module uses, in the order its code indexes them.
    pub globals: &'static [&'static str],
    /// The error sites, indexed by the `site` numbers the code passes to [`at`].
    pub sites: &'static [Site],
    /// `(vm id << 32) | index into that VM's module states`, for the last VM seen.
    cache: AtomicU64,
}

/// What one VM knows about one module.
pub(crate) struct ModuleState {
    files: Vec<slight_core::FileId>,
    consts: Vec<Value>,
    /// The top-level forms have run (or are running) in this VM.
    pub(crate) initialized: bool,
    globals: Vec<u32>,
}

impl Module {
    /// A module's static tables; its per-VM state is made the first time it meets each VM.
    pub const fn new(
        files: &'static [(&'static str, &'static str)],
        consts: &'static [&'static str],
        globals: &'static [&'static str],
        sites: &'static [Site],
    ) -> Module {
        Module { files, consts, globals, sites, cache: AtomicU64::new(0) }
    }

    /// The index of this module's state in `vm`, registering the module on first use.
    #[inline(always)]
    fn state_index(&'static self, vm: &mut Vm) -> usize {
        let c = self.cache.load(Ordering::Relaxed);
        if (c >> 32) as u32 == vm.id() {
            return c as u32 as usize;
        }
        self.register_in(vm)
    }

    #[cold]
    #[inline(never)]
    fn register_in(&'static self, vm: &mut Vm) -> usize {
        let key = self as *const Module as usize;
        let index = match vm.compiled_modules.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                // The prelude's compiled copies point into the VM's own prelude source, so
                // errors skip their frames as on the VM.
                let files = self
                    .files
                    .iter()
                    .map(|(name, text)| match vm.prelude_file {
                        Some(f) if *name == crate::vm::PRELUDE_NAME && *text == crate::vm::PRELUDE => f,
                        _ => vm.sources.add(*name, *text),
                    })
                    .collect();
                let consts = self.consts.iter().map(|text| decode_const(text)).collect();
                let globals = self.globals.iter().map(|g| vm.intern_global(g)).collect();
                vm.compiled_modules.push((key, ModuleState { files, consts, globals, initialized: false }));
                vm.compiled_modules.len() - 1
            }
        };
        self.cache.store(((vm.id() as u64) << 32) | index as u64, Ordering::Relaxed);
        index
    }

    #[inline(always)]
    fn state<'v>(&'static self, vm: &'v mut Vm) -> &'v ModuleState {
        let i = self.state_index(vm);
        &vm.compiled_modules[i].1
    }

    /// Registers this module's source, constants and globals in `vm` (done lazily anyway).
    pub fn load(&'static self, vm: &mut Vm) {
        self.state_index(vm);
    }

    /// The span of site `site` in `vm`'s source map.
    pub fn span(&'static self, vm: &mut Vm, site: u32) -> Span {
        let s = &self.sites[site as usize];
        let file = self.state(vm).files.get(s.file as usize).copied().unwrap_or_default();
        Span { file, start: s.start, end: s.end, line: s.line, col: s.col }
    }
}

fn decode_const(text: &str) -> Value {
    let mut reader = Reader::new(text, 0);
    match reader.next_form() {
        Some(Ok(form)) => sexp_to_value(&form),
        _ => Value::Nil,
    }
}

// ---- constants and globals ----

/// Constant `i` of module `m`.
#[inline(always)]
pub fn konst(vm: &mut Vm, m: &'static Module, i: u32) -> Value {
    m.state(vm).consts[i as usize].clone()
}

/// The global-table index of the module's `i`-th global.
#[inline(always)]
fn global_index(vm: &mut Vm, m: &'static Module, i: u32) -> usize {
    m.state(vm).globals[i as usize] as usize
}

/// Reads a global (`Undefined symbol: x` if it has no value).
#[inline(always)]
pub fn get_global(vm: &mut Vm, m: &'static Module, i: u32) -> Res {
    let g = global_index(vm, m, i);
    match vm.global_slot(g) {
        Some(v) => Ok(v.clone()),
        None => Err(vm.undefined_global(g)),
    }
}

/// `(set! x v)` on a global: it must already be defined.
pub fn set_global(vm: &mut Vm, m: &'static Module, i: u32, v: Value) -> Res {
    let g = global_index(vm, m, i);
    if vm.global_slot(g).is_none() {
        return Err(ErrorValue::new("NameError", format!("Cannot set! undefined variable: {}", m.globals[i as usize])));
    }
    vm.set_global_slot(g, v.clone());
    Ok(v)
}

/// A top-level `def`/`defun`: defines (or replaces) the global; evaluates to `true`.
pub fn def_global(vm: &mut Vm, m: &'static Module, i: u32, v: Value) -> Res {
    let g = global_index(vm, m, i);
    vm.set_global_slot(g, v);
    vm.mark_user_defined(g);
    Ok(Value::Bool(true))
}

/// Installs a macro (`defmacro`) for later `eval`s and for code compiled by this VM.
pub fn def_macro(vm: &mut Vm, name: &str, f: Value) -> Res {
    vm.install_macro(name, f);
    Ok(Value::Bool(true))
}

// ---- functions and calls ----

/// A closure value.
#[inline]
pub fn closure(info: &'static FnInfo, env: Vec<Value>) -> Value {
    Value::Compiled(Rc::new(CompiledFn { info, env: env.into_boxed_slice() }))
}

/// Calls any function value.
#[inline]
pub fn call(vm: &mut Vm, f: &Value, args: &[Value]) -> Res {
    match f {
        Value::Compiled(c) => enter(vm, c, args),
        _ => Host::call(vm, f, args),
    }
}

/// A call in tail position of a top-level form. On the VM it replaces the script frame,
/// unless the callee is a builtin (which runs in its caller's frame); a compiled top-level
/// form counts as a frame too ([`run_forms`]), which this call leaves, so that the frame
/// limit stops the same recursion on both paths.
pub fn form_tail_call(vm: &mut Vm, f: &Value, args: &[Value]) -> Res {
    if matches!(f, Value::Builtin(_)) || vm.exec.native_depth == 0 {
        return call(vm, f, args);
    }
    vm.exec.native_depth -= 1;
    let r = call(vm, f, args);
    vm.exec.native_depth += 1;
    r
}

/// [`form_tail_call`] of the function in global `i`.
pub fn form_tail_call_global(vm: &mut Vm, m: &'static Module, i: u32, args: &[Value]) -> Res {
    let f = get_global(vm, m, i)?;
    form_tail_call(vm, &f, args)
}

/// Calls the function in global `i`.
#[inline]
pub fn call_global(vm: &mut Vm, m: &'static Module, i: u32, args: &[Value]) -> Res {
    let g = global_index(vm, m, i);
    match vm.global_slot(g) {
        Some(Value::Compiled(c)) => {
            let c = c.clone();
            enter(vm, &c, args)
        }
        Some(Value::Builtin(id)) => {
            let id = *id;
            call_builtin(vm, id, args)
        }
        Some(f) => {
            let f = f.clone();
            Host::call(vm, &f, args)
        }
        None => Err(vm.undefined_global(g)),
    }
}

fn call_builtin(vm: &mut Vm, id: u32, args: &[Value]) -> Res {
    let def = &BUILTINS[id as usize];
    // `apply` and `method/call` need the VM's rewriting; everything else is a direct call.
    if args.len() >= def.min_args && def.max_args.is_none_or(|m| args.len() <= m) && !vm.is_rewriting_builtin(id) {
        return (def.func)(vm, args);
    }
    Host::call(vm, &Value::Builtin(id), args)
}

/// The builtin id of `string/concat` (for [`concat_owned`]).
static CONCAT: LazyLock<u32> = LazyLock::new(|| builtin_id("string/concat").expect("string/concat is a builtin"));

/// An argument of [`concat_owned`] after the first.
pub enum Part {
    /// Constant `k` of the module (a string literal, typically), read where it is.
    Const(u32),
    /// Any other argument's value.
    Value(Value),
}

impl Part {
    #[inline(always)]
    fn value<'a>(&'a self, consts: &'a [Value]) -> &'a Value {
        match self {
            Part::Const(k) => &consts[*k as usize],
            Part::Value(v) => v,
        }
    }
}

/// `(string/concat first rest...)` of the function in global `i`, where `first` was moved out
/// of a local that is reassigned right after the call (the dynamic lowering's last-use moves,
/// see `slight_core::lower::dynamic`). While the global holds the builtin `string/concat`, a
/// string `first` that no other value references is appended to in place: building a string
/// in a loop then costs the appended text (amortized), not a copy of the whole string per
/// round. The result is the string the builtin would make, and whether `first` was shared
/// cannot be observed, since nothing else refers to it. Otherwise this is the ordinary call
/// of the global with all the arguments (same result, same errors).
#[inline]
pub fn concat_owned(vm: &mut Vm, m: &'static Module, i: u32, first: Value, rest: &[Part]) -> Res {
    let g = global_index(vm, m, i);
    if !matches!(vm.global_slot(g), Some(Value::Builtin(id)) if *id == *CONCAT) {
        return concat_call(vm, m, i, first, rest);
    }
    let Value::Str(mut s) = first else {
        return concat_call(vm, m, i, first, rest);
    };
    let consts = &m.state(vm).consts;
    let extra: usize = rest.iter().map(|p| ops::print_len(p.value(consts))).sum();
    crate::builtins::check_string(vm, "string/concat", s.len().checked_add(extra))?;
    let consts = &m.state(vm).consts;
    if let Some(buf) = Rc::get_mut(&mut s) {
        buf.reserve(extra);
        for p in rest {
            ops::push_print(buf, p.value(consts));
        }
        return Ok(Value::Str(s));
    }
    let mut buf = String::with_capacity(s.len() + extra);
    buf.push_str(&s);
    for p in rest {
        ops::push_print(&mut buf, p.value(consts));
    }
    Ok(Value::str(buf))
}

/// [`concat_owned`] when it cannot append in place: the ordinary call of global `i`.
#[cold]
#[inline(never)]
fn concat_call(vm: &mut Vm, m: &'static Module, i: u32, first: Value, rest: &[Part]) -> Res {
    let mut args = Vec::with_capacity(rest.len() + 1);
    args.push(first);
    for p in rest {
        args.push(match p {
            Part::Const(k) => konst(vm, m, *k),
            Part::Value(v) => v.clone(),
        });
    }
    call_global(vm, m, i, &args)
}

/// A tail call that is not a self call: the nearest enclosing [`call`] makes it, after the
/// calling function has returned (constant stack for mutual recursion).
#[inline]
pub fn tail_call(vm: &mut Vm, f: Value, args: Vec<Value>) -> Res {
    match f {
        Value::Compiled(_) => {
            vm.pending_tail = Some((f, args));
            Ok(Value::Nil)
        }
        // Builtins and VM functions run right away, so their errors point at this call (as
        // on the VM, where a tail call of a builtin runs in the caller's frame).
        other => Host::call(vm, &other, &args),
    }
}

/// [`tail_call`] of the function in global `i`.
#[inline]
pub fn tail_call_global(vm: &mut Vm, m: &'static Module, i: u32, args: Vec<Value>) -> Res {
    let f = get_global(vm, m, i)?;
    tail_call(vm, f, args)
}

/// Stack kept free before a compiled call; a new segment is allocated below it.
#[cfg(feature = "compiled")]
const RED_ZONE: usize = 128 * 1024;
/// Size of each stack segment allocated for deep compiled recursion.
#[cfg(feature = "compiled")]
const SEGMENT: usize = 8 * 1024 * 1024;

/// Enters a compiled function: arity check, frame accounting, then the trampoline for the
/// tail calls its body leaves pending.
pub(crate) fn enter(vm: &mut Vm, c: &Rc<CompiledFn>, args: &[Value]) -> Res {
    check_arity(c.info, args.len())?;
    enter_direct(vm, |vm| (c.info.code)(vm, &c.env, args))
}

/// Makes the tail calls the function just entered left pending (see [`tail_call`]).
#[inline(never)]
fn trampoline(vm: &mut Vm, mut r: Res) -> Res {
    while let Some((f, args)) = vm.pending_tail.take() {
        if r.is_err() {
            break;
        }
        r = match &f {
            Value::Compiled(c) => match check_arity(c.info, args.len()) {
                Ok(()) => with_stack(vm, |vm| (c.info.code)(vm, &c.env, &args), stack_overflow),
                Err(e) => Err(e),
            },
            _ => Host::call(vm, &f, &args),
        };
    }
    r
}

/// True when global `i` still holds the prelude's function of that name: a call of it from
/// compiled code then runs the module's compiled copy (`list/map`, `list/filter`,
/// `list/reduce`).
#[inline(always)]
pub fn prelude_holds(vm: &mut Vm, m: &'static Module, i: u32) -> bool {
    let g = global_index(vm, m, i);
    vm.holds_prelude(g)
}

/// True when global `i` holds the top-level function described by `info` (no captures).
#[inline(always)]
pub fn holds(vm: &mut Vm, m: &'static Module, i: u32, info: &'static FnInfo) -> bool {
    let g = global_index(vm, m, i);
    matches!(vm.global_slot(g), Some(Value::Compiled(c)) if std::ptr::eq(c.info, info) && c.env.is_empty())
}

/// Runs a compiled function's code (`f` calls it, the arity already checked): frame
/// accounting, stack check, then the trampoline for the tail calls it leaves pending. Direct
/// calls of known top-level functions use it with their by-value entry.
#[inline(always)]
pub fn enter_direct(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> Res) -> Res {
    enter_counted(vm, enter_slow, stack_overflow, |vm| {
        let r = f(vm);
        if vm.pending_tail.is_some() {
            return trampoline(vm, r);
        }
        r
    })
}

/// The shared core of [`enter_direct`] and [`spec_call`]: frame accounting, the time slice
/// and the stack check around a compiled call `f`. `slow` handles the two rare cases with one
/// branch (too deep, or the time slice used up); `no_room` is the result on a process stack
/// without room left.
#[inline(always)]
fn enter_counted<T, E>(
    vm: &mut Vm,
    slow: fn(&mut Vm) -> Result<(), E>,
    no_room: fn() -> Result<T, E>,
    f: impl FnOnce(&mut Vm) -> Result<T, E>,
) -> Result<T, E> {
    vm.budget = vm.budget.wrapping_sub(1);
    if vm.exec.native_depth + vm.frame_count() >= vm.max_frames || vm.budget == 0 {
        slow(vm)?;
    }
    vm.exec.native_depth += 1;
    let r = with_stack(vm, f, no_room);
    vm.exec.native_depth -= 1;
    r
}

fn stack_overflow() -> Res {
    Err(ErrorValue::new("StackOverflow", "stack overflow"))
}

/// The rare checks of [`enter_direct`]: the frame limit, and the end of the time slice.
#[cold]
#[inline(never)]
fn enter_slow(vm: &mut Vm) -> Result<(), ErrorValue> {
    if vm.exec.native_depth + vm.frame_count() >= vm.max_frames {
        vm.budget += 1;
        return Err(vm.too_deep());
    }
    slice_over(vm)
}

/// Counts one unit of work (a call, or a round of a loop) against the process's time slice.
/// When the slice is used up and another process could run, this one lets it (see
/// `Vm::preempt`): a process on its own stack suspends, any other runs the others in place.
#[inline(always)]
pub fn tick(vm: &mut Vm) -> Result<(), ErrorValue> {
    vm.budget = vm.budget.wrapping_sub(1);
    if vm.budget == 0 {
        return slice_over(vm);
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn slice_over(vm: &mut Vm) -> Result<(), ErrorValue> {
    vm.slice_end()?;
    if !vm.state.sched.others_runnable() {
        return Ok(());
    }
    vm.preempt().map_err(Rc::unwrap_or_clone)
}

/// Why specialized code stopped early. An untyped top-level function whose body fits the
/// typed subset when its parameters are `i64`s also gets a specialized version
/// (`slight_core::lower::lower_speculative`), tried first when it is called with integers;
/// that version has no effects, so when one of its assumptions fails it can simply stop and
/// the generic code runs from the start instead ([`spec_result`]).
pub enum Bail {
    /// An assumption failed (integer overflow, recursion too deep): rerun generically, which
    /// reports the error exactly as the VM does.
    Rerun,
    /// A real error to pass on (an exit signal delivered while the process was switched out).
    Error(ErrorValue),
}

/// The result of specialized code.
pub type SpecRes<T> = Result<T, Bail>;

/// True unless generic code is being rerun after a bail-out (then specialized versions are
/// not tried, so a rerun costs at most one more run).
#[inline(always)]
pub fn spec_on(vm: &Vm) -> bool {
    vm.spec_off == 0
}

/// The result of a specialized call as a dynamic one: its value, its error, or on
/// [`Bail::Rerun`] the result of the `generic` code.
#[inline(always)]
pub fn spec_result<T: IntoValue>(vm: &mut Vm, r: SpecRes<T>, generic: impl FnOnce(&mut Vm) -> Res) -> Res {
    match r {
        Ok(v) => Ok(v.into_value()),
        Err(Bail::Error(e)) => Err(e),
        Err(Bail::Rerun) => spec_rerun(vm, generic),
    }
}

#[cold]
#[inline(never)]
fn spec_rerun(vm: &mut Vm, generic: impl FnOnce(&mut Vm) -> Res) -> Res {
    vm.spec_off += 1;
    let r = generic(vm);
    vm.spec_off -= 1;
    r
}

/// Integer overflow in specialized code: bail out (the generic code raises the error).
#[inline(always)]
pub fn spec_checked(v: Option<i64>) -> SpecRes<i64> {
    v.ok_or(Bail::Rerun)
}

/// [`tick`] for specialized code. Other processes may run meanwhile: a function one of them
/// redefines takes effect when the specialized call returns (its callees were checked when it
/// was entered), not at the next call as in generic code.
#[inline(always)]
pub fn spec_tick(vm: &mut Vm) -> SpecRes<()> {
    tick(vm).map_err(Bail::Error)
}

/// The check at the start of a specialized function whose body has inlined calls
/// (`slight_core::lower::inline`): bail out unless `frames` more frames, as many as the
/// deepest inlined call would have pushed, would fit, so that the generic rerun reports the
/// stack overflow the VM would (one frame to spare).
#[inline(always)]
pub fn spec_reserve(vm: &mut Vm, frames: usize) -> SpecRes<()> {
    if vm.exec.native_depth + vm.frame_count() + frames >= vm.max_frames {
        return Err(Bail::Rerun);
    }
    Ok(())
}

/// [`enter_direct`] for a call between specialized functions: the same frame accounting,
/// time slice and stack checks; too deep bails out (the generic rerun raises the error).
#[inline(always)]
pub fn spec_call<T>(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> SpecRes<T>) -> SpecRes<T> {
    enter_counted(vm, spec_enter_slow, || Err(Bail::Rerun), f)
}

#[cold]
#[inline(never)]
fn spec_enter_slow(vm: &mut Vm) -> SpecRes<()> {
    if vm.exec.native_depth + vm.frame_count() >= vm.max_frames {
        vm.budget += 1;
        return Err(Bail::Rerun);
    }
    slice_over(vm).map_err(Bail::Error)
}

/// True when global `i` holds the function described by `info` (self tail calls loop then).
#[inline(always)]
pub fn global_is_fn(vm: &mut Vm, m: &'static Module, i: u32, info: &'static FnInfo) -> bool {
    let g = global_index(vm, m, i);
    matches!(vm.global_slot(g), Some(Value::Compiled(c)) if std::ptr::eq(c.info, info))
}

/// An address on the current stack (a local's), close to the stack pointer.
#[inline(always)]
pub(crate) fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Runs `f` with at least [`RED_ZONE`] bytes of stack. The common case is one comparison with
/// the VM's cached limit for the current stack; below it, `stacker` switches to a new segment
/// (or finds that enough is left) and the limit is recomputed for the stack `f` runs on.
#[inline(always)]
fn with_stack<T>(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> T, no_room: fn() -> T) -> T {
    if stack_address() > vm.stack_limit {
        return f(vm);
    }
    grow_and_run(vm, f, no_room)
}

/// The rare case of [`with_stack`]; on a process stack, which does not grow (`stacker` knows
/// only the thread's stack), `no_room()`.
#[cold]
#[inline(never)]
fn grow_and_run<T>(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> T, no_room: fn() -> T) -> T {
    if crate::native::own_stack::own_stack_limit().is_some() {
        return no_room();
    }
    grow_stack(vm, f, no_room)
}

/// Runs `f` on a new stack segment if this one is running low, with `vm.stack_limit` set for it.
#[cfg(feature = "compiled")]
fn grow_stack<T>(vm: &mut Vm, f: impl FnOnce(&mut Vm) -> T, _no_room: fn() -> T) -> T {
    stacker::maybe_grow(RED_ZONE, SEGMENT, || {
        let saved = vm.stack_limit;
        vm.stack_limit = match stacker::remaining_stack() {
            // Leave twice the red zone: the limit is checked only when a call is entered.
            Some(left) => stack_address().saturating_sub(left) + 2 * RED_ZONE,
            None => usize::MAX,
        };
        let r = f(vm);
        vm.stack_limit = saved;
        r
    })
}

/// Without the `compiled` feature the stack cannot grow (see the module comment).
#[cfg(not(feature = "compiled"))]
fn grow_stack<T>(_: &mut Vm, _: impl FnOnce(&mut Vm) -> T, no_room: fn() -> T) -> T {
    no_room()
}

fn check_arity(info: &FnInfo, argc: usize) -> Result<(), ErrorValue> {
    let n = info.nparams as usize;
    if argc == n || (info.variadic && argc > n) {
        return Ok(());
    }
    Err(crate::vm::arity_error(info.name, n, info.variadic, argc))
}

/// The rest parameter: the arguments after the first `n`.
pub fn rest_args(args: &[Value], n: usize) -> Value {
    Value::list_from(args[n.min(args.len())..].to_vec())
}

// ---- cells (variables that are captured and assigned) ----

/// A new cell holding `v` (for a variable that is captured and assigned).
#[inline]
pub fn new_cell(v: Value) -> Value {
    Value::Cell(Rc::new(RefCell::new(v)))
}

/// The value in a cell; any other value is returned as it is.
#[inline]
pub fn cell_get(cell: &Value) -> Value {
    match cell {
        Value::Cell(c) => c.borrow().clone(),
        other => other.clone(),
    }
}

/// Stores `v` in a cell and returns `v` (a non-cell is left alone).
#[inline]
pub fn cell_set(cell: &Value, v: Value) -> Value {
    if let Value::Cell(c) = cell {
        *c.borrow_mut() = v.clone();
    }
    v
}

// ---- operations ----

/// Slight truthiness: everything except `nil` and `false` is true.
#[inline(always)]
pub fn truthy(v: &Value) -> bool {
    v.is_truthy()
}

/// `b` as a Slight boolean.
#[inline(always)]
pub fn boolean(b: bool) -> Value {
    Value::Bool(b)
}

/// `i` as a Slight integer.
#[inline(always)]
pub fn int(i: i64) -> Value {
    Value::Int(i)
}

/// `f` as a Slight float.
#[inline(always)]
pub fn float(f: f64) -> Value {
    Value::Float(f)
}

macro_rules! int_fast_path {
    ($name:ident, $checked:ident) => {
        /// The arithmetic operation, inlined for two integers whose result fits; anything else goes
        /// to the same operation in [`ops`].
        #[inline(always)]
        pub fn $name(a: &Value, b: &Value) -> Res {
            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                if let Some(r) = x.$checked(*y) {
                    return Ok(Value::Int(r));
                }
            }
            ops::$name(a, b)
        }
    };
}
int_fast_path!(add, checked_add);
int_fast_path!(sub, checked_sub);
int_fast_path!(mul, checked_mul);

macro_rules! int_const_op {
    ($name:ident, $op:ident, $checked:ident) => {
        /// The operation with an integer constant as the second operand.
        #[inline(always)]
        pub fn $name(a: &Value, k: i64) -> Res {
            if let Value::Int(x) = a {
                if let Some(r) = x.$checked(k) {
                    return Ok(Value::Int(r));
                }
            }
            ops::$op(a, &Value::Int(k))
        }
    };
}
int_const_op!(add_i, add, checked_add);
int_const_op!(sub_i, sub, checked_sub);
int_const_op!(mul_i, mul, checked_mul);

macro_rules! compare_const {
    ($name:ident, $op:ident, $cmp:tt) => {
        /// The comparison with an integer constant as the second operand.
        #[inline(always)]
        pub fn $name(a: &Value, k: i64) -> Result<bool, ErrorValue> {
            if let Value::Int(x) = a {
                return Ok(*x $cmp k);
            }
            ops::$op(a, &Value::Int(k))
        }
    };
}
compare_const!(lt_i, lt, <);
compare_const!(le_i, le, <=);
compare_const!(gt_i, gt, >);
compare_const!(ge_i, ge, >=);

/// `/`: always a float; an integer zero divisor is an error (see [`ops::div`]).
#[inline(always)]
pub fn div(a: &Value, b: &Value) -> Res {
    ops::div(a, b)
}

/// Unary minus; negating `i64::MIN` is an `integer overflow` error.
#[inline(always)]
pub fn neg(a: &Value) -> Res {
    ops::neg(a)
}

macro_rules! compare {
    ($name:ident, $op:tt) => {
        /// The numeric comparison, inlined for two integers; anything else goes to the same
        /// comparison in [`ops`].
        #[inline(always)]
        pub fn $name(a: &Value, b: &Value) -> Result<bool, ErrorValue> {
            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                return Ok(x $op y);
            }
            ops::$name(a, b)
        }
    };
}
compare!(lt, <);
compare!(le, <=);
compare!(gt, >);
compare!(ge, >=);

/// Structural equality (`=`), inlined for two integers.
#[inline(always)]
pub fn eq(a: &Value, b: &Value) -> bool {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return x == y;
    }
    a.equals(b)
}

/// `cons`: `h` in front of the list `t` (or nil); a type error for any other `t`.
#[inline(always)]
pub fn cons(h: &Value, t: &Value) -> Res {
    if let Value::List(l) = t {
        return Ok(Value::cons(h.clone(), l.clone()));
    }
    ops::cons(h, t)
}

/// `head`: the first element of a list, nil for an empty list or nil; a type error otherwise.
#[inline(always)]
pub fn head(v: &Value) -> Res {
    if let Value::List(Some(c)) = v {
        return Ok(c.head.clone());
    }
    ops::head(v)
}

/// `tail`: a list without its first element, `()` for an empty list or nil; a type error otherwise.
#[inline(always)]
pub fn tail(v: &Value) -> Res {
    if let Value::List(Some(c)) = v {
        return Ok(Value::List(c.tail.clone()));
    }
    ops::tail(v)
}

/// `empty?` (see [`ops::is_empty`]).
#[inline(always)]
pub fn is_empty(v: &Value) -> Result<bool, ErrorValue> {
    ops::is_empty(v)
}

/// A list of `items`, in order.
pub fn list(items: Vec<Value>) -> Value {
    Value::list_from(items)
}

/// Concatenates lists (see [`ops::append`]).
pub fn append(parts: Vec<Value>) -> Res {
    ops::append(&parts)
}

/// Quasiquote splicing, where a last part that is not a list becomes a dotted tail (see
/// [`ops::append_quasi`]).
pub fn append_dotted(parts: Vec<Value>) -> Res {
    ops::append_quasi(&parts)
}

/// Field access `obj.name` on errors, maps and objects (see [`ops::field`]).
pub fn field(obj: &Value, name: &Value) -> Res {
    ops::field(obj, name)
}

/// Checks a value against a type annotation.
#[inline]
pub fn check_type(v: Value, ty: Type) -> Res {
    match type_mismatch(ty, &v) {
        None => Ok(v),
        Some(msg) => Err(ErrorValue::type_error(msg)),
    }
}

/// `throw`: an error value is rethrown as is, a string becomes the message, anything else is
/// wrapped.
pub fn throw(v: Value) -> ErrorValue {
    match v {
        Value::Error(e) => Rc::unwrap_or_clone(e),
        Value::Str(s) => ErrorValue::user(s.to_string()),
        other => ErrorValue::wrapping(other),
    }
}

/// What `catch` binds.
pub fn caught(e: ErrorValue) -> Value {
    Value::Error(Rc::new(e))
}

/// True if `try` may catch `e` (a limit, interrupt or `kill` passes through to the `finally`).
pub fn catchable(e: &ErrorValue) -> bool {
    e.is_catchable()
}

/// A `match` with no matching clause.
pub fn match_fail(v: &Value) -> ErrorValue {
    ErrorValue::new("MatchError", format!("No match for value: {}", v.repr()))
}

/// For a list pattern: the first `n` elements and the rest, if `v` is a list of exactly `n`
/// elements (`exact`) or at least `n`.
pub fn destructure(v: &Value, n: usize, exact: bool) -> Option<(Vec<Value>, Value)> {
    let len = match v {
        Value::List(_) | Value::Nil => v.list_len(),
        _ => return None,
    };
    if (exact && len != n) || len < n {
        return None;
    }
    let mut items = Vec::with_capacity(n);
    let mut cur = match v {
        Value::List(l) => l.clone(),
        _ => None,
    };
    for _ in 0..n {
        let c = cur.expect("length checked");
        items.push(c.head.clone());
        cur = c.tail.clone();
    }
    Some((items, Value::List(cur)))
}

/// `(eval form)` with the names of the enclosing scopes that it can see (their cells).
pub fn eval(vm: &mut Vm, m: &'static Module, site: u32, form: &Value, names: &[&str], cells: Vec<Value>) -> Res {
    let span = m.span(vm, site);
    vm.eval_with_cells(form, names, cells, span)
}

// ---- errors ----

/// Gives an error raised by the operation at `site` its position (if it has none yet) and
/// records the function in the Slight stack.
#[inline(always)]
pub fn at<T>(r: Result<T, ErrorValue>, vm: &mut Vm, m: &'static Module, site: u32) -> Result<T, ErrorValue> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(locate(vm, m, site, e)),
    }
}

/// The slow path of [`at`]: gives `e` the position of `site` unless it has one or the site is in
/// the prelude, and adds the function to the Slight stack (up to 64 entries).
#[cold]
#[inline(never)]
pub fn locate(vm: &mut Vm, m: &'static Module, site: u32, mut e: ErrorValue) -> ErrorValue {
    let span = m.span(vm, site);
    // As on the VM, an error inside the prelude points at the user's call.
    if e.span.is_none() && Some(span.file) != vm.prelude_file {
        e.span = Some(span);
    }
    if e.trace.len() < 64 {
        e.trace.push(TraceEntry { function: m.sites[site as usize].function.to_string(), span });
    }
    e
}

/// The unwind payload of [`overflow`].
struct Overflow;

/// Typed integer arithmetic: the value, or Slight's `integer overflow` error.
#[inline(always)]
pub fn checked(v: Option<i64>) -> i64 {
    match v {
        Some(v) => v,
        None => overflow(),
    }
}

/// Raises `integer overflow` from typed native code (see the module documentation).
#[cold]
#[inline(never)]
pub fn overflow() -> ! {
    std::panic::resume_unwind(Box::new(Overflow))
}

/// The unwind payload of [`deeper`] past the frame limit.
struct TooDeep;

/// The unwind payload of [`typed_tick`] when the embedder's limits stop the script (the error
/// stays in the VM: a stop is sticky, see `limits.rs`).
struct Stopped;

thread_local! {
    /// Depth-budget refills of typed native code on this thread (see [`deeper`]).
    static TYPED_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Ticks left in the time slice of the typed code running on this thread ([`typed_tick`]).
    static TYPED_TICKS: std::cell::Cell<u32> = const { std::cell::Cell::new(crate::process::SLICE) };
    /// The VM whose typed code runs on this thread, set by [`catch_overflow`] for the time of
    /// the call; null otherwise (typed functions called straight from Rust).
    static TYPED_VM: std::cell::Cell<*mut Vm> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Typed native code that has used up its depth budget continues here: the depth is counted
/// (past the VM's frame limit it is a `stack overflow`, unwound like [`overflow`]) and the
/// stack is grown if it is running low, so typed recursion never overflows the Rust stack.
#[inline(never)]
pub fn deeper<T>(f: impl FnOnce() -> T) -> T {
    struct Level;
    impl Drop for Level {
        fn drop(&mut self) {
            TYPED_DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    let depth = TYPED_DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let _level = Level;
    let vm = TYPED_VM.with(|v| v.get());
    // SAFETY: see `typed_slice_end`; only a field is read.
    let max_frames = if vm.is_null() { MAX_FRAMES } else { unsafe { (*vm).max_frames } };
    if depth * slight_core::TYPED_DEPTH_BUDGET as usize >= max_frames {
        std::panic::resume_unwind(Box::new(TooDeep));
    }
    if let Some(limit) = crate::native::own_stack::own_stack_limit() {
        // On a process stack, which does not grow.
        if stack_address() < limit {
            std::panic::resume_unwind(Box::new(TooDeep));
        }
        return f();
    }
    #[cfg(feature = "compiled")]
    return stacker::maybe_grow(RED_ZONE, SEGMENT, f);
    #[cfg(not(feature = "compiled"))] // the stack cannot grow (see the module comment)
    std::panic::resume_unwind(Box::new(TooDeep))
}

/// One unit of work of typed native code (a call or a loop round), counted against the time
/// slice like [`tick`]; at the end of a slice the embedder's limits are checked, and a stop
/// unwinds to [`catch_overflow`].
#[inline(always)]
pub fn typed_tick() {
    let left = TYPED_TICKS.with(|t| {
        let left = t.get().wrapping_sub(1);
        t.set(left);
        left
    });
    if left == 0 {
        typed_slice_end();
    }
}

#[cold]
#[inline(never)]
fn typed_slice_end() {
    let vm = TYPED_VM.with(|v| v.get());
    if vm.is_null() {
        TYPED_TICKS.with(|t| t.set(crate::process::SLICE));
        return;
    }
    // SAFETY: `TYPED_VM` is non-null only inside `catch_overflow`, which set it from the
    // `&mut Vm` it was given and holds that borrow, unused, until `f` returns or unwinds and it
    // resets the pointer. Typed code never reaches the VM otherwise (it has no `Vm` parameter),
    // so this is the only access during that time.
    let vm = unsafe { &mut *vm };
    let r = vm.slice_end();
    TYPED_TICKS.with(|t| t.set(vm.budget));
    if r.is_err() {
        std::panic::resume_unwind(Box::new(Stopped));
    }
}

/// Runs typed native code for `vm`, turning [`overflow`], too deep recursion and a stop of the
/// embedder's limits into the VM's errors. Any other panic keeps unwinding (it is a bug).
pub fn catch_overflow<T>(vm: &mut Vm, f: impl FnOnce() -> T) -> Result<T, ErrorValue> {
    let outer_vm = TYPED_VM.with(|v| v.replace(vm as *mut Vm));
    let outer_ticks = TYPED_TICKS.with(|t| t.replace(vm.budget.max(1)));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    TYPED_VM.with(|v| v.set(outer_vm));
    vm.budget = TYPED_TICKS.with(|t| t.replace(outer_ticks)).max(1);
    match r {
        Ok(v) => Ok(v),
        Err(payload) if payload.is::<Overflow>() => Err(ops::overflow()),
        Err(payload) if payload.is::<TooDeep>() => Err(vm.too_deep()),
        Err(payload) if payload.is::<Stopped>() => {
            Err(vm.guard.stopped().err().unwrap_or_else(|| crate::limits::interrupted("interrupted")))
        }
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// Converts an argument of a typed native function.
pub fn arg_i64(v: &Value) -> Result<i64, ErrorValue> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(ErrorValue::type_error(type_mismatch(Type::I64, other).unwrap_or_default())),
    }
}

/// Converts an `f64` argument of a typed native function (an integer is a type error, not
/// converted).
pub fn arg_f64(v: &Value) -> Result<f64, ErrorValue> {
    match v {
        Value::Float(f) => Ok(*f),
        other => Err(ErrorValue::type_error(type_mismatch(Type::F64, other).unwrap_or_default())),
    }
}

/// Converts a `bool` argument of a typed native function.
pub fn arg_bool(v: &Value) -> Result<bool, ErrorValue> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(ErrorValue::type_error(type_mismatch(Type::Bool, other).unwrap_or_default())),
    }
}

// ---- whole programs ----

/// The callback of a compiled module's `run_each`: gets every top-level form's result and
/// returns false to stop.
pub type EachForm<'a> = dyn FnMut(&mut Vm, Result<Value, crate::Error>) -> bool + 'a;

/// One compiled top-level form.
pub type Form = fn(&mut Vm) -> Res;

/// Runs a compiled program's top-level forms in order on `vm`, like [`Vm::eval_each`]: `each`
/// gets every form's result and returns false to stop.
pub fn run_forms(
    vm: &mut Vm,
    m: &'static Module,
    forms: &[Form],
    each: &mut dyn FnMut(&mut Vm, Result<Value, crate::Error>) -> bool,
) {
    let i = m.state_index(vm);
    vm.compiled_modules[i].1.initialized = true;
    // A host entry, as `Vm::eval_each` is: the limits count from here.
    vm.host_enter();
    for form in forms {
        // A top-level form counts as a frame, like the VM's script frame (the frame limit
        // then stops the same recursion on both paths).
        vm.exec.native_depth += 1;
        let r = form(vm);
        vm.exec.native_depth -= 1;
        let r = r.map_err(|e| {
            let e = Rc::new(e);
            vm.to_error(&e)
        });
        vm.pending_tail = None;
        if !each(vm, r) {
            break;
        }
    }
    vm.host_leave();
    vm.flush();
}

/// Runs the forms and returns the last value, or the first error.
pub fn run_program(vm: &mut Vm, m: &'static Module, forms: &[Form]) -> Result<Value, crate::Error> {
    let mut last = Ok(Value::Nil);
    run_forms(vm, m, forms, &mut |_, r| {
        let ok = r.is_ok();
        last = r;
        ok
    });
    last
}

/// Calls a compiled top-level function from Rust (the `pub fn` wrappers of a compiled module).
/// The module's top-level forms run first if they have not run in this VM yet, so the
/// function finds the globals and helpers it uses.
pub fn call_static(
    vm: &mut Vm,
    m: &'static Module,
    forms: &[Form],
    info: &'static FnInfo,
    args: &[Value],
) -> Result<Value, crate::Error> {
    let i = m.state_index(vm);
    if !vm.compiled_modules[i].1.initialized {
        run_program(vm, m, forms)?;
    }
    let f = Rc::new(CompiledFn { info, env: Box::new([]) });
    vm.host_enter();
    let r = enter(vm, &f, args);
    vm.host_leave();
    r.map_err(|e| vm.to_error(&Rc::new(e)))
}

/// The thread's VM for `slight!` expressions used outside any explicit VM.
pub fn with_thread_vm<T>(f: impl FnOnce(&mut Vm) -> T) -> T {
    thread_local! {
        static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
    }
    VM.with(|cell| {
        let mut slot = cell.borrow_mut();
        let vm = slot.get_or_insert_with(Vm::new);
        f(vm)
    })
}

/// The result of a `slight!` expression converted to the Rust type the context wants; a Slight
/// error becomes a panic with the rendered message (an expression has no other way out).
pub fn expect_value<T: crate::FromValue>(vm: &mut Vm, r: Res) -> T {
    let v = match r {
        Ok(v) => v,
        Err(e) => panic!("{}", vm.to_error(&Rc::new(e)).rendered),
    };
    match T::from_value(&v) {
        Ok(t) => t,
        Err(e) => panic!("slight!: {}", e.message),
    }
}

/// A Rust value used by a `slight!` expression.
pub fn from_rust<T: crate::IntoValue + Clone>(v: &T) -> Value {
    v.clone().into_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    static MODULE: Module = Module::new(&[("t.sl", "(f)")], &[], &["f"], &[Site::new(0, 0, 3, 1, 1, "f")]);

    /// `(defun f (n) (if (== n 0) 0 (+ 1 (f (- n 1)))))`, written by hand: not a tail call.
    fn deep(vm: &mut Vm, _env: &[Value], args: &[Value]) -> Res {
        let n = args[0].clone();
        if eq(&n, &Value::Int(0)) {
            return Ok(Value::Int(0));
        }
        let r = at(call_global(vm, &MODULE, 0, &[sub(&n, &Value::Int(1))?]), vm, &MODULE, 0)?;
        add(&Value::Int(1), &r)
    }
    static DEEP: FnInfo = FnInfo::new(Some("f"), 1, false, deep);

    /// `(defun f (n) (if (== n 0) :done (f (- n 1))))` through the trampoline.
    fn looping(vm: &mut Vm, _env: &[Value], args: &[Value]) -> Res {
        let n = args[0].clone();
        if eq(&n, &Value::Int(0)) {
            return Ok(Value::Int(-1));
        }
        tail_call_global(vm, &MODULE, 0, vec![sub(&n, &Value::Int(1))?])
    }
    static LOOPING: FnInfo = FnInfo::new(Some("f"), 1, false, looping);

    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new().stack_size(256 * 1024).spawn(f).unwrap().join().unwrap()
    }

    #[test]
    fn deep_compiled_recursion_grows_the_stack_then_reports_stack_overflow() {
        on_small_stack(|| {
            let mut vm = Vm::new();
            def_global(&mut vm, &MODULE, 0, closure(&DEEP, vec![])).unwrap();
            let r = call_global(&mut vm, &MODULE, 0, &[Value::Int(100_000)]).unwrap();
            assert_eq!(r, Value::Int(100_000));
            let e = call_global(&mut vm, &MODULE, 0, &[Value::Int(MAX_FRAMES as i64 + 10)]).unwrap_err();
            assert_eq!(e.message, "stack overflow");
            assert_eq!(e.span.map(|s| (s.line, s.col)), Some((1, 1)));
            // The VM is usable afterwards.
            assert_eq!(call_global(&mut vm, &MODULE, 0, &[Value::Int(3)]).unwrap(), Value::Int(3));
            assert_eq!(vm.exec.native_depth, 0);
        });
    }

    #[test]
    fn tail_calls_run_in_constant_stack() {
        on_small_stack(|| {
            let mut vm = Vm::new();
            def_global(&mut vm, &MODULE, 0, closure(&LOOPING, vec![])).unwrap();
            let r = call_global(&mut vm, &MODULE, 0, &[Value::Int(1_000_000)]).unwrap();
            assert_eq!(r, Value::Int(-1));
            assert!(vm.pending_tail.is_none());
        });
    }

    #[test]
    fn overflow_unwinds_to_the_dynamic_boundary_as_an_error() {
        let mut vm = Vm::new();
        let e = catch_overflow(&mut vm, || checked(i64::MAX.checked_add(1))).unwrap_err();
        assert_eq!(e.message, "integer overflow");
        assert_eq!(catch_overflow(&mut vm, || checked(Some(5))).unwrap(), 5);
    }

    #[test]
    fn compiled_functions_are_values_the_vm_can_call() {
        let mut vm = Vm::new();
        def_global(&mut vm, &MODULE, 0, closure(&DEEP, vec![])).unwrap();
        assert_eq!(vm.eval("(list (f 2) (list/map f '(1 2)) (type/of f))").unwrap().repr(), "(2 (1 2) \"FUNCTION\")");
        assert_eq!(vm.eval("f").unwrap().repr(), "#<fun f/1>");
        let e = vm.eval("(f 1 2)").unwrap_err();
        assert_eq!(e.message, "Wrong number of arguments: expected 1, got 2");
    }

    #[test]
    fn module_state_is_per_vm() {
        let mut a = Vm::new();
        let mut b = Vm::new();
        def_global(&mut a, &MODULE, 0, Value::Int(1)).unwrap();
        assert_eq!(get_global(&mut a, &MODULE, 0).unwrap(), Value::Int(1));
        let e = get_global(&mut b, &MODULE, 0).unwrap_err();
        assert_eq!(e.message, "Undefined symbol: f");
        def_global(&mut b, &MODULE, 0, Value::Int(2)).unwrap();
        assert_eq!(get_global(&mut a, &MODULE, 0).unwrap(), Value::Int(1));
        assert_eq!(get_global(&mut b, &MODULE, 0).unwrap(), Value::Int(2));
    }

    static STRINGS: Module = Module::new(&[("t.sl", "(string/concat)")], &["\"-\""], &["string/concat"], &[]);

    #[test]
    fn concat_owned_appends_in_place_only_to_an_unshared_string_of_the_builtin() {
        let mut vm = Vm::new();
        let rest = || [Part::Const(0), Part::Value(Value::Int(-42)), Part::Value(Value::Float(0.5))];
        // Unshared: the same allocation grows.
        let first = Value::str(String::with_capacity(64) + "a");
        let Value::Str(s) = &first else { unreachable!() };
        let before = Rc::as_ptr(s);
        let r = concat_owned(&mut vm, &STRINGS, 0, first, &rest()).unwrap();
        let Value::Str(out) = &r else { panic!("{r:?}") };
        assert_eq!((out.as_str(), Rc::as_ptr(out)), ("a--420.5", before));
        // Shared: a new string, the other reference unchanged.
        let kept = Value::str("b");
        let r = concat_owned(&mut vm, &STRINGS, 0, kept.clone(), &rest()).unwrap();
        assert_eq!((r.repr().as_str(), kept.repr().as_str()), ("\"b--420.5\"", "\"b\""));
        // Not a string: the builtin's print form.
        let r = concat_owned(&mut vm, &STRINGS, 0, Value::list_from(vec![Value::Int(1)]), &rest()).unwrap();
        assert_eq!(r.repr(), "\"(1)--420.5\"");
        // Redefined: the ordinary call with every argument, the constant included.
        vm.eval("(set! string/concat (fun (a b c d) (list a b c d)))").unwrap();
        let r = concat_owned(&mut vm, &STRINGS, 0, Value::str("c"), &rest()).unwrap();
        assert_eq!(r.repr(), "(\"c\" \"-\" -42 0.5)");
        let e = concat_owned(&mut vm, &STRINGS, 0, Value::str("c"), &[]).unwrap_err();
        assert_eq!(e.message, "Wrong number of arguments: expected 4, got 1");
    }
}
