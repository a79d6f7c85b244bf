//! Build-time cost of the compiled path for one Slight file: `native::driver::compile` (read, expand,
//! resolve, lower), then the printers, each the minimum of N runs, writing each one's output:
//! `oneline.rs` (the driver's `Output::fast`, the whole module on one line), `fast.rs`
//! (`slight::build`'s `Printer::Fast`, one line per item) and `pretty.rs` (prettyplease).
//! Driven by `benches/build_cost.py`, which adds rustc's time.
//!
//! `codegen-cost FILE [--runs N] [--out DIR]` prints one JSON object (times in ms, sizes).

use slight::build::{render, Printer};
use slight_runtime::native::driver::{compile, Options};
use std::time::{Duration, Instant};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("runs > 0"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut file, mut runs, mut out) = (None, 5usize, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).expect("--runs N"),
            "--out" => out = Some(std::path::PathBuf::from(args.next().expect("--out DIR"))),
            _ if file.is_none() => file = Some(a),
            _ => {
                eprintln!("usage: codegen-cost FILE [--runs N] [--out DIR]");
                std::process::exit(2)
            }
        }
    }
    let file = file.expect("usage: codegen-cost FILE [--runs N] [--out DIR]");
    let src = std::fs::read_to_string(&file).expect("read the Slight file");
    let opts = Options::default();
    let (compile_t, output) = best(runs, || compile(&file, &src, &opts));
    let output = output.unwrap_or_else(|e| {
        eprintln!("{}", e.rendered);
        std::process::exit(1)
    });
    let (oneline_t, oneline) = best(runs, || output.fast().expect("fast printer"));
    let (fast_t, fast) = best(runs, || render(&output, Printer::Fast).expect("fast printer"));
    let (pretty_t, pretty) = best(runs, || render(&output, Printer::Pretty).expect("pretty printer"));
    // For scale: the VM reading, compiling and running the same file's top-level forms.
    let (vm_t, _) = best(runs, || {
        let mut vm = slight::Vm::new();
        let _out = vm.capture_output();
        vm.eval_named(&file, &src).map(|_| ()).map_err(|e| e.rendered.clone())
    });
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir).expect("create the output directory");
        std::fs::write(dir.join("oneline.rs"), &oneline).expect("write oneline.rs");
        std::fs::write(dir.join("fast.rs"), &fast).expect("write fast.rs");
        std::fs::write(dir.join("pretty.rs"), &pretty).expect("write pretty.rs");
    }
    let printed = [("oneline", oneline_t, &oneline), ("fast", fast_t, &fast), ("pretty", pretty_t, &pretty)];
    let mut json = format!(
        "{{\"sl_lines\": {}, \"compile_ms\": {:.3}, \"vm_load_ms\": {:.3}",
        src.lines().count(),
        ms(compile_t),
        ms(vm_t)
    );
    for (name, t, text) in printed {
        json += &format!(
            ", \"{name}_ms\": {:.3}, \"{name}_bytes\": {}, \"{name}_lines\": {}",
            ms(t),
            text.len(),
            text.lines().count()
        );
    }
    println!("{json}}}");
}
