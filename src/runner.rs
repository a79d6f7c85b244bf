//! Running whole programs the way the CLI does: plain (stop at the first uncaught error) or
//! `--echo` (print `=> result` after every top-level form, `!! message` for a failing form, and
//! keep going). The test harness uses the same functions, so tests exercise exactly what users run.

use slight_runtime::{Error, Vm};

/// Outcome of running a program.
pub struct RunOutcome {
    /// Errors in the order they happened (at most one unless echoing).
    pub errors: Vec<Error>,
    /// Processes left waiting for a message no process can send.
    pub blocked: Vec<slight_runtime::Pid>,
}

/// Runs `src` (named `name` in diagnostics) on `vm`.
pub fn run_source(vm: &mut Vm, name: &str, src: &str, echo: bool) -> RunOutcome {
    run_with(vm, echo, &mut |vm, each| vm.eval_each(name, src, each))
}

/// Runs a compiled program (its module's `run_each`) on `vm`, exactly like [`run_source`].
pub fn run_compiled(vm: &mut Vm, run_each: fn(&mut Vm, &mut EachForm), echo: bool) -> RunOutcome {
    run_with(vm, echo, &mut |vm, each| run_each(vm, each))
}

type EachForm<'a> = slight_runtime::native::rt::EachForm<'a>;

/// The shared driver: `forms` runs the program's top-level forms, reporting each result.
fn run_with(vm: &mut Vm, echo: bool, forms: &mut dyn FnMut(&mut Vm, &mut EachForm)) -> RunOutcome {
    let mut errors = Vec::new();
    forms(vm, &mut |vm, result| {
        if echo {
            if !vm.at_line_start() {
                vm.write_output("\n");
            }
            match &result {
                Ok(v) => vm.write_output(&format!("=> {}\n", v.repr())),
                Err(e) => vm.write_output(&format!("!! {}\n", e.message)),
            }
        }
        match result {
            Ok(_) => true,
            Err(e) => {
                errors.push(e);
                // `(sys/exit n)` ends the program at once, even when echoing.
                echo && vm.exit_requested().is_none()
            }
        }
    });
    if vm.exit_requested().is_some() {
        return RunOutcome { errors, blocked: Vec::new() };
    }
    // Then the processes it spawned, until each has ended or waits forever, and the timer
    // callbacks it registered (unless it already failed).
    let blocked = vm.run();
    if vm.exit_requested().is_some() {
        return RunOutcome { errors, blocked: Vec::new() };
    }
    if echo || errors.is_empty() {
        if let Err(e) = vm.run_timers() {
            if echo {
                if !vm.at_line_start() {
                    vm.write_output("\n");
                }
                vm.write_output(&format!("!! {}\n", e.message));
            }
            errors.push(e);
        }
    }
    RunOutcome { errors, blocked }
}

/// For the language suite's `.err` files: the first non-empty line of `expected` that does not
/// occur in `rendered` after the previous one (each line is a substring, in order), if any.
pub fn missing_diagnostic_line<'a>(expected: &'a str, rendered: &str) -> Option<&'a str> {
    let mut rest = rendered;
    for line in expected.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match rest.find(line) {
            Some(i) => rest = &rest[i + line.len()..],
            None => return Some(line),
        }
    }
    None
}

/// For the test suites: runs one program's check on its own thread (64 MiB of stack), so a
/// Rust panic — a bug, since bad input must never panic — is reported as a failure of that
/// program instead of ending the suite.
pub fn check_isolated(check: impl FnOnce() -> Result<(), String> + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(check)
        .map_err(|e| format!("cannot start a thread: {e}"))?
        .join()
        .unwrap_or_else(|_| Err("PANIC (a bug: bad input must never panic)".into()))
}
