//! Host `async fn`s as Slight functions (`Vm::register_async_fn`): calling one suspends only
//! the calling process until the future completes; the other processes keep running.
//!
//! The call polls the future once. While it is pending, the process waits (`Wait::Future`)
//! with the future kept in its process record: a spawned process pauses and is resumed at the
//! call, which finds the future there and polls it again; any other caller blocks in place,
//! running the others. The future's waker sets a flag that the scheduler checks with its
//! deadlines (`Scheduler::wake_due`), unparks the VM's thread when the scheduler sleeps for
//! lack of work, and wakes the host task polling `Vm::run_async`.

use crate::error::ErrorValue;
use crate::process::Wait;
use crate::value::{NativeFn, Value};
use crate::vm::Vm;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// A host future producing a Slight value.
pub type HostFuture = Pin<Box<dyn Future<Output = Result<Value, ErrorValue>>>>;

/// Starts a host future from the call's arguments.
pub type AsyncStart = Box<dyn Fn(Vec<Value>) -> HostFuture>;

/// A pending host future, kept by its process across pauses.
pub(crate) struct PendingFuture(pub HostFuture);

impl std::fmt::Debug for PendingFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingFuture")
    }
}

/// The waker of one pending host future.
#[derive(Debug)]
pub(crate) struct WakeFlag {
    woken: AtomicBool,
    /// The VM's thread, parked while the scheduler has nothing to do.
    thread: std::thread::Thread,
    /// The task polling `Vm::run_async`, if any (shared by all flags of the VM).
    host: Arc<Mutex<Option<Waker>>>,
}

impl WakeFlag {
    pub(crate) fn new(host: Arc<Mutex<Option<Waker>>>) -> WakeFlag {
        WakeFlag { woken: AtomicBool::new(false), thread: std::thread::current(), host }
    }

    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(Ordering::Acquire)
    }
}

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
        if let Some(w) = self.host.lock().ok().and_then(|mut h| h.take()) {
            w.wake();
        }
    }
}

impl Vm {
    /// Registers a Rust `async` function as a global Slight function. A call suspends only the
    /// calling process until the future completes (the other processes run meanwhile); its
    /// result or error is the call's.
    ///
    /// ```
    /// # use slight_runtime::{Vm, Value};
    /// let mut vm = Vm::new();
    /// vm.register_async_fn("later", |args: Vec<Value>| async move { Ok(args[0].clone()) });
    /// assert_eq!(vm.eval("(later 42)").unwrap(), Value::Int(42));
    /// ```
    pub fn register_async_fn<F, Fut>(&mut self, name: &str, f: F)
    where
        F: Fn(Vec<Value>) -> Fut + 'static,
        Fut: Future<Output = Result<Value, ErrorValue>> + 'static,
    {
        let fname = name.to_string();
        let native = NativeFn {
            name: name.to_string(),
            arity: None,
            func: Box::new(move |_| {
                Err(ErrorValue::new("Error", format!("{fname} is an async host function and needs a VM to run")))
            }),
            start_async: Some(Box::new(move |args| Box::pin(f(args)))),
        };
        self.define_user_global(name, Value::Native(Rc::new(native)));
    }

    /// Calls an async host function: polls its future until it completes, waiting (see the
    /// module comment) while it is pending.
    pub(crate) fn call_async_native(&mut self, start: &AsyncStart, args: &[Value]) -> Result<Value, ErrorValue> {
        let pid = self.state.sched.current;
        // A process paused at this call resumes here: its future is waiting for it.
        let mut future = match self.state.sched.procs.get_mut(&pid).and_then(|p| p.future.take()) {
            Some(pending) => pending.0,
            None => start(args.to_vec()),
        };
        loop {
            let flag = Arc::new(WakeFlag::new(self.state.sched.host_waker.clone()));
            let waker = Waker::from(flag.clone());
            if let Poll::Ready(result) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                if let Some(p) = self.state.sched.procs.get_mut(&pid) {
                    p.wait = Wait::Nothing;
                }
                return result;
            }
            self.state.sched.futures.push((pid, flag));
            match self.state.sched.procs.get_mut(&pid) {
                Some(p) => {
                    p.wait = Wait::Future;
                    p.future = Some(Box::new(PendingFuture(future)));
                }
                None => return Err(ErrorValue::new("Error", "the calling process has ended")),
            }
            crate::builtins::Host::wait(self)?;
            future = match self.state.sched.procs.get_mut(&pid).and_then(|p| p.future.take()) {
                Some(pending) => pending.0,
                None => return Err(ErrorValue::new("Error", "the pending host call was lost")),
            };
        }
    }
}
