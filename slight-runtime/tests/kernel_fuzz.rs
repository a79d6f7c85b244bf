//! Random well-typed kernels: each must pass the checker, produce WGSL that naga accepts, and
//! run on the CPU fallback without a panic. Random ill-typed mutations must be rejected with an
//! error, never a panic. (Seeded, so a failure is reproducible: the seed is in the message.)

use slight_core::kernel::{check_kernel, wgsl};
use slight_core::{Reader, SourceMap};

struct Gen {
    rng: fastrand::Rng,
    /// Only integer and boolean expressions (results must then be bit-identical on every back end).
    ints_only: bool,
    locals: Vec<(String, &'static str)>,
    next: usize,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.usize(..xs.len())]
    }

    fn local(&mut self, ty: &'static str) -> Option<String> {
        let names: Vec<String> = self.locals.iter().filter(|(_, t)| *t == ty).map(|(n, _)| n.clone()).collect();
        (!names.is_empty()).then(|| names[self.rng.usize(..names.len())].clone())
    }

    fn expr(&mut self, ty: &'static str, depth: u32) -> String {
        let leaf = depth == 0 || self.rng.u32(..4) == 0;
        if leaf {
            if let Some(l) = self.local(ty).filter(|_| self.rng.bool()) {
                return l;
            }
            return match ty {
                "f32" => self.pick(&["a", "1.5", "-0.25", "3", "(at xs (gpu/id))", "0.0"]).to_string(),
                "i32" => self.pick(&["n", "(gpu/id)", "(gpu/size)", "(len ys)", "-7", "0", "2147483647"]).to_string(),
                _ => self.pick(&["true", "false", "(< (gpu/id) 3)"]).to_string(),
            };
        }
        let d = depth - 1;
        let choice = self.rng.u32(..8);
        match (ty, choice) {
            ("bool", 0) => format!("(and {} {})", self.expr("bool", d), self.expr("bool", d)),
            ("bool", 1) => format!("(or {} {})", self.expr("bool", d), self.expr("bool", d)),
            ("bool", 2) => format!("(not {})", self.expr("bool", d)),
            ("bool", _) => {
                let t = if self.rng.bool() && !self.ints_only { "f32" } else { "i32" };
                let op = self.pick(&["<", "<=", ">", ">=", "=", "!="]);
                format!("({op} {} {})", self.expr(t, d), self.expr(t, d))
            }
            (_, 0) => format!("(if {} {} {})", self.expr("bool", d), self.expr(ty, d), self.expr(ty, d)),
            (_, 1) => {
                let v = format!("v{}", self.next);
                self.next += 1;
                let init = self.expr(ty, d);
                self.locals.push((v.clone(), ty));
                let body = self.expr(ty, d);
                self.locals.pop();
                // Annotated: an initialiser such as `3` would otherwise make the variable `i32`.
                format!("(let (({v}:{ty} {init})) {body})")
            }
            (_, 2) => {
                // A bounded loop: k counts to 3, acc accumulates.
                let (k, acc) = (format!("k{}", self.next), format!("acc{}", self.next));
                self.next += 1;
                let init = self.expr(ty, d);
                self.locals.push((k.clone(), "i32"));
                self.locals.push((acc.clone(), ty));
                let step = self.expr(ty, d);
                self.locals.pop();
                self.locals.pop();
                format!("(loop (({k} 0) ({acc}:{ty} {init})) (if (< {k} 3) (recur (+ {k} 1) {step}) {acc}))")
            }
            ("f32", 3) => format!("(f32 {})", self.expr("i32", d)),
            ("i32", 3) if self.ints_only => format!("(- {})", self.expr("i32", d)),
            ("i32", 3) => format!("(i32 {})", self.expr("f32", d)),
            ("f32", 4) => format!("(sqrt (abs {}))", self.expr("f32", d)),
            ("f32", 5) => {
                let f = self.pick(&["min", "max", "pow", "mod", "rem", "/"]);
                format!("({f} {} {})", self.expr("f32", d), self.expr("f32", d))
            }
            ("i32", 4) => format!("(at ys {})", self.expr("i32", d)),
            ("i32", 5) => {
                let f = self.pick(&["rem", "mod", "/", "bit-and", "bit-or", "bit-xor", "min", "max"]);
                format!("({f} {} {})", self.expr("i32", d), self.expr("i32", d))
            }
            (_, 6) => format!("(- {})", self.expr(ty, d)),
            _ => {
                let op = self.pick(&["+", "-", "*"]);
                format!("({op} {} {} {})", self.expr(ty, d), self.expr(ty, d), self.expr(ty, d))
            }
        }
    }

    fn stmt(&mut self, depth: u32) -> String {
        match self.rng.u32(..4) {
            // Race-free: each invocation writes only its own element of `out`, and nothing reads `out`.
            0 | 1 if self.ints_only => format!("(set-at! out (gpu/id) {})", self.expr("i32", depth)),
            0 => format!("(set-at! xs {} {})", self.expr("i32", depth), self.expr("f32", depth)),
            1 => format!("(set-at! ys {} {})", self.expr("i32", depth), self.expr("i32", depth)),
            2 => format!("(when {} {})", self.expr("bool", depth), self.stmt(depth.saturating_sub(1))),
            _ => {
                let v = format!("v{}", self.next);
                self.next += 1;
                let init = self.expr("i32", depth);
                self.locals.push((v.clone(), "i32"));
                let body = self.stmt(depth.saturating_sub(1));
                self.locals.pop();
                format!("(let (({v} {init})) (set! {v} (+ {v} 1)) {body})")
            }
        }
    }
}

fn read(src: &str) -> slight_core::Sexp {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.sl", src);
    Reader::read_all(src, file).unwrap().remove(0)
}

#[test]
fn random_kernels_check_validate_and_run() {
    let mut validator =
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default());
    for seed in 0..1000u64 {
        let mut g = Gen { rng: fastrand::Rng::with_seed(seed), ints_only: false, locals: Vec::new(), next: 0 };
        let body: Vec<String> = (0..1 + g.rng.usize(..4)).map(|_| g.stmt(3)).collect();
        let src = format!("(defkernel fuzz ((a f32) (n i32) (xs (array f32)) (ys (array i32))) {})", body.join(" "));
        let form = read(&src);
        let items = form.as_list().unwrap();
        let kernel =
            check_kernel(&items[1..], form.span).unwrap_or_else(|e| panic!("seed {seed}: {}\n{src}", e.message));
        let text = wgsl::to_wgsl(&kernel);
        let module = naga::front::wgsl::parse_str(&text)
            .unwrap_or_else(|e| panic!("seed {seed}: {}\n{src}\n{text}", e.emit_to_string(&text)));
        validator
            .validate(&module)
            .unwrap_or_else(|e| panic!("seed {seed}: {}\n{src}\n{text}", e.emit_to_string(&text)));
        let mut xs = [1.5f32.to_bits(); 8];
        let mut ys = [3u32; 8];
        let scalars = [0.75f32.to_bits(), 5u32, 0, 0];
        slight_runtime::gpu::cpu::run(&kernel, &scalars, &mut [None, None, Some(&mut xs[..]), Some(&mut ys[..])], 8);
    }
}

#[test]
fn mutated_kernels_are_rejected_without_panicking() {
    let pieces = [
        "(",
        ")",
        "1.5",
        "7",
        "xs",
        "ys",
        "a",
        "n",
        "(gpu/id)",
        "true",
        "(recur 1)",
        "(at xs)",
        "\"s\"",
        "(loop ((k 0)) k)",
        "set!",
        "if",
        "let",
        "(f64 1)",
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    let mut rejected = 0;
    for seed in 0..2000u64 {
        let mut g = Gen { rng: fastrand::Rng::with_seed(seed), ints_only: false, locals: Vec::new(), next: 0 };
        let mut src = g.stmt(3);
        // Replace a random token-sized slice with a random piece.
        let cut = rng.usize(..src.len());
        let end = (cut + rng.usize(..6)).min(src.len());
        if src.is_char_boundary(cut) && src.is_char_boundary(end) {
            src.replace_range(cut..end, pieces[rng.usize(..pieces.len())]);
        }
        let full = format!("(defkernel m ((a f32) (n i32) (xs (array f32)) (ys (array i32))) {src})");
        let mut sources = SourceMap::new();
        let file = sources.add("m.sl", full.as_str());
        let Ok(mut forms) = Reader::read_all(&full, file) else { continue };
        let Some(form) = forms.pop() else { continue };
        let Some(items) = form.as_list().map(|i| i.to_vec()) else { continue };
        if items.first().is_none_or(|h| !h.is_sym("defkernel")) {
            continue;
        }
        match check_kernel(&items[1..], form.span) {
            Ok(k) => {
                let text = wgsl::to_wgsl(&k);
                let module = naga::front::wgsl::parse_str(&text)
                    .unwrap_or_else(|e| panic!("{full}\n{}", e.emit_to_string(&text)));
                naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
                    .validate(&module)
                    .unwrap_or_else(|e| panic!("{full}\n{}", e.emit_to_string(&text)));
            }
            Err(_) => rejected += 1,
        }
    }
    assert!(rejected > 100, "the mutations should produce many invalid kernels ({rejected})");
}

/// Integer kernels give bit-identical results on the GPU and on the CPU fallback.
#[test]
fn random_integer_kernels_agree_between_the_gpu_and_the_cpu_fallback() {
    use slight_runtime::gpu::{self, BackendKind, Buffer, KernelArg, KernelObject};
    if gpu::info().backend == BackendKind::Cpu {
        println!("SKIPPED random_integer_kernels_agree_between_the_gpu_and_the_cpu_fallback: no GPU adapter");
        return;
    }
    let mut differ = Vec::new();
    for seed in 0..100u64 {
        let mut g = Gen { rng: fastrand::Rng::with_seed(10_000 + seed), ints_only: true, locals: Vec::new(), next: 0 };
        let body: Vec<String> = (0..1 + g.rng.usize(..4)).map(|_| g.stmt(3)).collect();
        let src = format!(
            "(defkernel fuzz ((a f32) (n i32) (xs (array f32)) (ys (array i32)) (out (array i32))) {})",
            body.join(" ")
        );
        let form = read(&src);
        let items = form.as_list().unwrap();
        let kernel =
            check_kernel(&items[1..], form.span).unwrap_or_else(|e| panic!("seed {seed}: {}\n{src}", e.message));
        let start: Vec<u32> = (0..16u32).map(|i| i.wrapping_mul(2654435761) ^ 0x5bd1e995).collect();
        // CPU fallback, directly.
        let mut cpu_ys = start.clone();
        let mut cpu_xs = [0u32; 16];
        let mut cpu_out = [7u32; 16];
        let scalars = [0.75f32.to_bits(), (-5i32) as u32, 0, 0, 0];
        let mut arrays = [None, None, Some(&mut cpu_xs[..]), Some(&mut cpu_ys[..]), Some(&mut cpu_out[..])];
        gpu::cpu::run(&kernel, &scalars, &mut arrays, 16);
        // The GPU, through the runtime.
        let obj = KernelObject::new(kernel.clone(), wgsl::to_wgsl(&kernel));
        let xs = Buffer::new(slight_core::kernel::Scalar::F32, vec![0; 16]).unwrap();
        let ys = Buffer::new(slight_core::kernel::Scalar::I32, start.clone()).unwrap();
        let out = Buffer::new(slight_core::kernel::Scalar::I32, vec![7; 16]).unwrap();
        let args = [
            KernelArg::Scalar(scalars[0]),
            KernelArg::Scalar(scalars[1]),
            KernelArg::Array(&xs),
            KernelArg::Array(&ys),
            KernelArg::Array(&out),
        ];
        obj.run(&args, 16).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{src}"));
        let gpu_out = out.read_blocking().unwrap();
        if gpu_out != cpu_out {
            differ.push(format!("seed {seed}:\n{src}\ncpu {cpu_out:?}\ngpu {gpu_out:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
