//! Processes that run compiled code on a stack of their own, so that they can pause.
//!
//! A VM process pauses by returning to the scheduler with its state saved as data. Compiled
//! code keeps its state on the Rust stack, so a process spawned with a compiled function runs
//! as a stackful coroutine (corosensei) on its own stack. When it waits (`receive`,
//! `timer/sleep`, GPU readback, an async host call) or its time slice is used up (compiled
//! code counts calls and loop rounds, `rt::tick`), it suspends. Control goes back to the
//! scheduler, which resumes it later where it stopped. This is the compiled path's equivalent of
//! the VM's pause (see scheduler.rs), with the same observable behaviour.
//!
//! A process on its own stack never blocks in place. An exit signal (`kill`, a linked process's
//! error) is delivered like a pinned process's: the process is resumed, and the signal is
//! raised where it stopped, so its Rust frames unwind normally.
//!
//! The stack is fixed (`STACK_SIZE`, committed as it is touched). Below its red zone, compiled
//! code raises the catchable `stack overflow` instead of growing the stack with `stacker`,
//! which only knows the thread's own stack.

use crate::error::ErrorValue;
use crate::value::Value;
use crate::vm::Vm;
use corosensei::stack::{DefaultStack, Stack};
use corosensei::{Coroutine, CoroutineResult, Yielder};
use std::cell::Cell;
use std::rc::Rc;

/// Size of a compiled process's stack (virtual; pages are committed when touched).
pub const STACK_SIZE: usize = 16 << 20;

/// Stack the front end (reading, expanding and compiling a form for `eval`) may need: about
/// 3 MiB for a form nested as deep as the reader allows, in a debug build.
const FRONT_END_STACK: usize = 4 << 20;

/// Room kept below the limit, for the code that runs between two stack checks.
const MARGIN: usize = 64 * 1024;

type Outcome = Result<Value, Rc<ErrorValue>>;
type Co = Coroutine<*mut Vm, (), Outcome, DefaultStack>;

/// The suspended (or not yet started) stack of a compiled process.
pub(crate) struct ProcessStack {
    co: Co,
    /// The coroutine's yielder, once it has started (it lives on the coroutine's stack).
    yielder: Rc<Cell<*const Yielder<*mut Vm, ()>>>,
    /// The lowest address compiled code may use before raising `stack overflow`.
    limit: usize,
}

impl std::fmt::Debug for ProcessStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcessStack")
    }
}

thread_local! {
    /// The stack limit of the process stack running on this thread (`None`: the thread's own
    /// stack, where `stacker` may grow it).
    static OWN_STACK_LIMIT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The limit of the process stack the current code runs on, if it runs on one.
#[inline]
pub(crate) fn own_stack_limit() -> Option<usize> {
    OWN_STACK_LIMIT.with(|l| l.get())
}

/// What the running process stack needs while it runs (restored when it stops).
pub(crate) struct Running {
    pub yielder: Rc<Cell<*const Yielder<*mut Vm, ()>>>,
}

impl ProcessStack {
    /// A stack that will run `(f args...)`.
    pub(crate) fn new(f: Value, args: Vec<Value>) -> Result<ProcessStack, ErrorValue> {
        let stack = DefaultStack::new(STACK_SIZE)
            .map_err(|e| ErrorValue::new("Error", format!("spawn: cannot allocate a process stack: {e}")))?;
        let limit = stack.limit().get() + MARGIN;
        let yielder: Rc<Cell<*const Yielder<*mut Vm, ()>>> = Rc::new(Cell::new(std::ptr::null()));
        let cell = yielder.clone();
        let co = Coroutine::with_stack(stack, move |y: &Yielder<*mut Vm, ()>, vm: *mut Vm| {
            cell.set(y as *const _);
            // SAFETY: `resume` passes the scheduler's `&mut Vm` as a raw pointer and does not
            // use the VM until the coroutine suspends or returns; see `resume`.
            let vm = unsafe { &mut *vm };
            vm.start_call(&f, &args)
        });
        Ok(ProcessStack { co, yielder, limit })
    }

    /// Runs the process until it suspends (`None`) or ends (its result).
    pub(crate) fn resume(&mut self, vm: &mut Vm) -> Option<Outcome> {
        let saved_limit = OWN_STACK_LIMIT.with(|l| l.replace(Some(self.limit)));
        let saved_vm_limit = std::mem::replace(&mut vm.stack_limit, self.limit);
        let saved_running = vm.own_stack.replace(Running { yielder: self.yielder.clone() });
        // SAFETY: the coroutine's code uses the VM only through this pointer, and only until
        // it suspends or returns; this frame does not touch `vm` meanwhile. While the
        // coroutine is suspended its frames hold references derived from an earlier pointer,
        // and the scheduler uses the VM; those frames use it again only after this call hands
        // the pointer over once more. Every hand-over goes through an opaque stack switch that
        // receives the pointer, so no access is cached across it.
        let result = self.co.resume(vm as *mut Vm);
        vm.own_stack = saved_running;
        vm.stack_limit = saved_vm_limit;
        OWN_STACK_LIMIT.with(|l| l.set(saved_limit));
        match result {
            CoroutineResult::Yield(()) => None,
            CoroutineResult::Return(r) => Some(r),
        }
    }
}

/// An error when the front end might not fit on the rest of the current process stack (it
/// does not check the stack as it recurses); nothing on the thread's own stack.
pub(crate) fn front_end_room() -> Result<(), ErrorValue> {
    let Some(limit) = own_stack_limit() else { return Ok(()) };
    if crate::native::rt::stack_address().saturating_sub(limit) < FRONT_END_STACK {
        return Err(ErrorValue::new("StackOverflow", "stack overflow"));
    }
    Ok(())
}

impl Vm {
    /// True when the current process runs on its own stack (see the module comment).
    #[inline]
    pub(crate) fn on_own_stack(&self) -> bool {
        self.own_stack.is_some()
    }

    /// Suspends the current process's stack; back to the scheduler until it is resumed. The
    /// exit signal it may have received meanwhile is raised here.
    pub(crate) fn suspend_own_stack(&mut self) -> Result<(), ErrorValue> {
        let yielder = self.own_stack.as_ref().map(|r| r.yielder.get()).unwrap_or(std::ptr::null());
        if yielder.is_null() {
            return Err(ErrorValue::new("Error", "internal error: no process stack to suspend"));
        }
        let me = self.state.sched.current;
        // SAFETY: the yielder lives on this coroutine's stack, which is the stack running this
        // code, so it is valid; `suspend` hands control (and the VM) back to `resume`.
        unsafe { (*yielder).suspend(()) };
        self.take_exit_of(me)
    }

    /// Waits on the process stack until the scheduler makes the process runnable again.
    pub(crate) fn wait_on_own_stack(&mut self) -> Result<(), ErrorValue> {
        let me = self.state.sched.current;
        loop {
            self.suspend_own_stack()?;
            if self.state.sched.procs.get(&me).is_none_or(|p| p.wait == crate::process::Wait::Nothing) {
                return Ok(());
            }
        }
    }
}
