//! The interactive REPL: line editing and history (rustyline), multi-line input until the form
//! is balanced, results printed in REPL form, errors shown without leaving the session.

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;
use slight::Vm;
use slight_core::Reader;
use std::process::ExitCode;

/// True when `src` is an unfinished form (more lines are needed).
pub fn needs_more_input(src: &str) -> bool {
    match Reader::read_all(src, 0) {
        Ok(_) => false,
        Err(e) => e.message.starts_with("unexpected end of input") || e.message.starts_with("unterminated"),
    }
}

fn history_path() -> Option<std::path::PathBuf> {
    std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".slight_history"))
}

pub fn run() -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::FAILURE;
        }
    };
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("Slight {} — Ctrl-C stops an evaluation, Ctrl-D exits", env!("CARGO_PKG_VERSION"));
    let mut vm = Vm::new();
    // Ctrl-C while an evaluation runs (the terminal is not in raw mode then) interrupts it:
    // the session and its definitions stay. At the prompt, rustyline reads Ctrl-C as a key.
    let handle = vm.interrupt_handle();
    if let Err(e) = ctrlc::set_handler(move || handle.interrupt()) {
        eprintln!("warning: Ctrl-C cannot interrupt evaluations: {e}");
    }
    let mut buffer = String::new();
    let mut count = 0;
    loop {
        let prompt = if buffer.is_empty() { "slight> " } else { "   ...> " };
        match editor.readline(prompt) {
            Ok(line) => {
                buffer.push_str(&line);
                buffer.push('\n');
                if needs_more_input(&buffer) {
                    continue;
                }
                let input = std::mem::take(&mut buffer);
                if input.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(input.trim_end());
                count += 1;
                let name = format!("<repl:{count}>");
                vm.eval_each(&name, &input, &mut |vm, result| {
                    if !vm.at_line_start() {
                        println!();
                    }
                    match result {
                        Ok(v) => println!("=> {}", v.repr()),
                        Err(e) if e.kind == "Exit" => {}
                        Err(e) => eprint!("{}", e.rendered),
                    }
                    vm.exit_requested().is_none()
                });
                // Processes keep running between inputs: give the runnable ones their turn
                // (without waiting for ones that sleep or wait for messages).
                vm.run_slices(100_000);
                vm.flush();
                if let Some(code) = vm.exit_requested() {
                    // `(sys/exit n)` leaves the REPL with status n.
                    if let Some(h) = &history {
                        let _ = editor.save_history(h);
                    }
                    return ExitCode::from(code.rem_euclid(256) as u8);
                }
            }
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                println!("(input cleared; Ctrl-D exits)");
            }
            Err(ReadlineError::Eof) => {
                if !buffer.trim().is_empty() {
                    // Say why the unfinished input was not evaluated.
                    if let Err(e) = Reader::read_all(&buffer, 0) {
                        eprintln!(
                            "error: input ended inside a form ({}) at line {}, column {}",
                            e.message, e.span.line, e.span.col
                        );
                    }
                }
                break;
            }
            Err(e) => {
                eprintln!("error: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}
