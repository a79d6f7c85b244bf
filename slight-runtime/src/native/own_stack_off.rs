//! Process stacks in a build without the `compiled` feature: compiled code does not run in
//! such a build (there is no `slight::__rt`), so no process ever runs on a stack of its own.
//! These are the few items the VM and the scheduler name, with nothing behind them.

use crate::error::ErrorValue;
use crate::value::Value;
use crate::vm::Vm;
use std::rc::Rc;

type Outcome = Result<Value, Rc<ErrorValue>>;

/// The suspended stack of a compiled process: uninhabited in this build.
#[derive(Debug)]
pub(crate) enum ProcessStack {}

/// What a running process stack needs: uninhabited in this build.
pub(crate) enum Running {}

impl ProcessStack {
    pub(crate) fn new(_: Value, _: Vec<Value>) -> Result<ProcessStack, ErrorValue> {
        Err(ErrorValue::new("FeatureError", "spawn: this build cannot run compiled code (feature \"compiled\")"))
    }

    pub(crate) fn resume(&mut self, _: &mut Vm) -> Option<Outcome> {
        match *self {}
    }
}

/// Always `None`: code runs on the thread's own stack.
#[inline]
pub(crate) fn own_stack_limit() -> Option<usize> {
    None
}

/// Always room: the front end runs on the thread's own stack.
pub(crate) fn front_end_room() -> Result<(), ErrorValue> {
    Ok(())
}

impl Vm {
    #[inline]
    pub(crate) fn on_own_stack(&self) -> bool {
        false
    }

    pub(crate) fn suspend_own_stack(&mut self) -> Result<(), ErrorValue> {
        Err(ErrorValue::new("Error", "internal error: no process stack to suspend"))
    }

    pub(crate) fn wait_on_own_stack(&mut self) -> Result<(), ErrorValue> {
        self.suspend_own_stack()
    }
}
