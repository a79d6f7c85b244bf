//! The VM as a [`Host`] for builtins (output, callbacks, per-VM state, waiting) and as the
//! expander's [`MacroHost`] (running `defmacro` bodies, validating kernels' WGSL).

use super::{Output, Vm};
use crate::builtins::{BuiltinState, Host};
use crate::convert::{sexp_to_value, value_to_sexp};
use crate::error::ErrorValue;
use crate::value::Value;
use slight_core::expander::MacroHost;
use slight_core::{ErrorKind, Sexp, SlightError, Span};
use std::io::Write;
use std::rc::Rc;

impl Host for Vm {
    fn write_out(&mut self, text: &str) -> Result<(), ErrorValue> {
        self.guard.output(text.len())?;
        self.write_output(text);
        Ok(())
    }

    fn write_err(&mut self, text: &str) -> Result<(), ErrorValue> {
        self.guard.output(text.len())?;
        self.write_diagnostic(text);
        Ok(())
    }

    fn call(&mut self, f: &Value, args: &[Value]) -> Result<Value, ErrorValue> {
        match f {
            Value::Func(_) => self.call_entered(f, args).map_err(Rc::unwrap_or_clone),
            _ => self.call_non_closure(f, args),
        }
    }

    fn state(&mut self) -> &mut BuiltinState {
        &mut self.state
    }

    fn limits(&self) -> &crate::Limits {
        &self.guard.limits
    }

    fn request_exit(&mut self, code: i32) {
        self.guard.exit = Some(code);
    }

    fn check_memory(&self, bytes: usize) -> Result<(), ErrorValue> {
        Vm::check_memory(self, bytes)
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
        let f = self.exec.frames.last()?;
        f.closure.proto.spans.get(f.pc.checked_sub(1)?).copied()
    }
}

impl Vm {
    /// Writes program output (to stdout, or to the capture buffer) for the host: not counted
    /// against the `output` limit (a script's output goes through [`Host::write_out`]).
    pub fn write_output(&mut self, text: &str) {
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

    /// Writes a diagnostic (a crash report, a failed timer) to stderr, or to the capture
    /// buffer; not counted against the `output` limit.
    pub fn write_diagnostic(&mut self, text: &str) {
        match &self.output {
            Output::Stdout => {
                let _ = std::io::stdout().flush();
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
            Output::Buffer(b) => b.borrow_mut().push_str(text),
        }
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
            // A stop (limit, interrupt) stays what it is: the embedder's, not a syntax error.
            Err(e) if !e.is_catchable() => {
                let kind = if e.etype == "Interrupted" { ErrorKind::Interrupted } else { ErrorKind::Limit };
                Err(SlightError::new(kind, e.message.clone(), span))
            }
            Err(e) => Err(SlightError::syntax(format!("error expanding macro {name}: {}", e.message), span)),
        }
    }
}

impl crate::front_end::Front for Vm {
    fn global_names(&mut self) -> &mut slight_core::GlobalNames {
        &mut self.names
    }
}
