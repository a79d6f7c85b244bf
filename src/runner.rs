//! Running whole programs the way the CLI does: plain (stop at the first uncaught error) or
//! `--echo` (print `=> result` after every top-level form, `!! message` for a failing form, and
//! keep going). The test harness uses the same functions, so tests exercise exactly what users run.

use slight_runtime::builtins::Host;
use slight_runtime::{Error, Vm};

/// Outcome of running a program.
pub struct RunOutcome {
    /// Errors in the order they happened (at most one unless echoing).
    pub errors: Vec<Error>,
}

/// Runs `src` (named `name` in diagnostics) on `vm`.
pub fn run_source(vm: &mut Vm, name: &str, src: &str, echo: bool) -> RunOutcome {
    let mut errors = Vec::new();
    vm.eval_each(name, src, &mut |vm, result| {
        if echo {
            if !vm.at_line_start() {
                vm.write_out("\n");
            }
            match &result {
                Ok(v) => vm.write_out(&format!("=> {}\n", v.repr())),
                Err(e) => vm.write_out(&format!("!! {}\n", e.message)),
            }
        }
        match result {
            Ok(_) => true,
            Err(e) => {
                errors.push(e);
                echo
            }
        }
    });
    // Then the timer callbacks the program registered (unless it already failed).
    if echo || errors.is_empty() {
        if let Err(e) = vm.run_timers() {
            if echo {
                if !vm.at_line_start() {
                    vm.write_out("\n");
                }
                vm.write_out(&format!("!! {}\n", e.message));
            }
            errors.push(e);
        }
    }
    RunOutcome { errors }
}
