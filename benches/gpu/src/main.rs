//! GPU compute benchmarks, side by side in one run (release mode; see README.md):
//!
//! 1. SAXPY (`ys[i] = a * xs[i] + ys[i]`) over 16M f32: a `defkernel` on the wgpu back end, the
//!    same kernel on the CPU fallback (a child process with `SLIGHT_GPU=cpu`: the back end is
//!    chosen once per process), the same loop in plain Slight on the VM, hand-written Rust;
//! 2. a 1024x1024 f32 matrix multiply, the same four ways;
//! 3. dispatch overhead: `gpu/run` of a trivial kernel on 64 elements against the same WGSL
//!    dispatched with raw wgpu on its own device (same adapter), each waiting for completion.
//!
//! `cargo run --release -p slight-bench-gpu -- [--runs N] [--only saxpy|matmul|dispatch]...`
//! Every figure is the median of N runs (default 5). Ratios are what to read: the machine this
//! was written on is a shared 2-core VM, where absolute times drift.

use slight::core::kernel::{wgsl, Scalar};
use slight::gpu::{self, Buffer, GpuObject};
use slight::{FromValue, IntoValue, Value, Vm};
use std::collections::HashMap;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Full sizes (what the wgpu back end and Rust run).
const SAXPY_N: usize = 16 * 1024 * 1024;
const MATMUL_N: usize = 1024;
/// Sizes for the slow paths, scaled to the full size (linearly for SAXPY, by n^3 for matmul).
const VM_SAXPY_N: usize = 1024 * 1024;
const VM_MATMUL_N: usize = 128;
const CPU_SAXPY_N: usize = SAXPY_N;
const CPU_MATMUL_N: usize = 256;
/// Dispatch overhead: grid size; each run is ROUNDS rounds of BATCH dispatches per variant, the
/// variants interleaved (in a rotating order) so that drift on a shared machine hits them alike.
const TINY_GRID: u32 = 64;
const ROUNDS: usize = 20;
const BATCH: usize = 25;
/// The SAXPY scalar.
const A: f32 = 2.0;

/// The kernels, as a Slight program would write them.
const KERNELS: &str = r#"
(defkernel saxpy ((a f32) (xs (array f32)) (ys (array f32)))
  (let ((i (gpu/id)))
    (set-at! ys i (+ (* a (at xs i)) (at ys i)))))

(defkernel matmul ((n i32) (a (array f32)) (b (array f32)) (c (array f32)))
  (let ((i (gpu/id))
        (row (/ i n))
        (col (rem i n)))
    (set-at! c i
      (loop ((k 0) (acc 0.0))
        (if (< k n)
            (recur (+ k 1) (+ acc (* (at a (+ (* row n) k)) (at b (+ (* k n) col)))))
            acc)))))

(defkernel tiny ((xs (array f32)))
  (let ((i (gpu/id)))
    (set-at! xs i (+ (at xs i) 1.0))))
"#;

/// The same computations in plain Slight on the VM: lists (Slight's sequence type; floats are
/// f64), `loop`/`recur`, `list/map`.
const VM_PROGRAMS: &str = r#"
(defun saxpy-list (a xs ys)
  (loop ((xs xs) (ys ys) (out ()))
    (if (empty? xs)
        (list/reverse out)
        (recur (tail xs) (tail ys) (cons (+ (* a (head xs)) (head ys)) out)))))

(defun dot (xs ys)
  (loop ((xs xs) (ys ys) (s 0.0))
    (if (empty? xs)
        s
        (recur (tail xs) (tail ys) (+ s (* (head xs) (head ys)))))))

(defun transpose (rows)
  (loop ((rows rows) (cols ()))
    (if (empty? (head rows))
        (list/reverse cols)
        (recur (list/map tail rows) (cons (list/map head rows) cols)))))

(defun matmul-lists (a b)
  (let ((bt (transpose b)))
    (list/map (fun (row) (list/map (fun (col) (dot row col)) bt)) a)))
"#;

// ---- helpers ----

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let v = f();
    (t.elapsed(), v)
}

/// Deterministic data: multiples of 1/1024 in [-1, 1) (exact in f32 and f64).
fn data(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) % 2048) as f32 / 1024.0 - 1.0
        })
        .collect()
}

fn max_err(got: &[f32], want: &[f32]) -> f64 {
    if got.len() != want.len() {
        return f64::INFINITY;
    }
    got.iter().zip(want).map(|(g, w)| (*g as f64 - *w as f64).abs()).fold(0.0, f64::max)
}

fn die(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("slight-bench-gpu: {what}: {e}");
    std::process::exit(1)
}

// ---- hand-written Rust ----

/// A plain indexed loop (the assert lets the compiler drop the bounds checks).
#[inline(never)]
fn saxpy_rust(a: f32, xs: &[f32], ys: &mut [f32]) {
    let n = ys.len();
    assert_eq!(xs.len(), n);
    for i in 0..n {
        ys[i] += a * xs[i];
    }
}

/// Naive triple loop, i-k-j order, row-major `n x n`.
#[inline(never)]
fn matmul_rust(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    c.fill(0.0);
    for i in 0..n {
        let crow = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let aik = a[i * n + k];
            let brow = &b[k * n..(k + 1) * n];
            for j in 0..n {
                crow[j] += aik * brow[j];
            }
        }
    }
}

fn rust_saxpy(runs: usize) -> Duration {
    let xs = data(SAXPY_N, 1);
    let mut ys = data(SAXPY_N, 2);
    let mut times = Vec::new();
    for _ in 0..runs {
        let (d, ()) = time(|| saxpy_rust(black_box(A), black_box(&xs), black_box(&mut ys)));
        black_box(&ys);
        times.push(d);
    }
    median(times)
}

fn rust_matmul(runs: usize) -> Duration {
    let n = MATMUL_N;
    let (a, b) = (data(n * n, 3), data(n * n, 4));
    let mut c = vec![0.0f32; n * n];
    let mut times = Vec::new();
    for _ in 0..runs {
        let (d, ()) = time(|| matmul_rust(black_box(n), black_box(&a), black_box(&b), black_box(&mut c)));
        black_box(&c);
        times.push(d);
    }
    median(times)
}

// ---- defkernel on the back end of this process (wgpu, or the CPU fallback) ----

fn kernel_vm() -> Vm {
    let mut vm = Vm::new();
    vm.eval(KERNELS).unwrap_or_else(|e| die("defkernel", &e.rendered));
    vm
}

/// Makes a global f32 array (created from Rust: a 16M-element Slight list would cost ~1 GB).
fn put_array(vm: &mut Vm, name: &str, xs: &[f32]) {
    let words = xs.iter().map(|x| x.to_bits()).collect();
    let b = Buffer::new(Scalar::F32, words).unwrap_or_else(|e| die("Buffer::new", e));
    vm.set(name, Value::Gpu(Rc::new(GpuObject::Buffer(b))));
}

fn read_array(vm: &Vm, name: &str) -> Vec<u32> {
    let v = vm.global(name).unwrap_or_else(|| die("global", name));
    let b = gpu::as_array(&v).unwrap_or_else(|| die("not an array", name));
    b.read_blocking().unwrap_or_else(|e| die("read_blocking", e))
}

/// Waits until the GPU has finished everything submitted (no-op on the CPU fallback, where
/// `gpu/run` returns when the kernel has run).
fn wait_gpu() {
    if let Some(g) = gpu::gpu().unwrap_or_else(|e| die("gpu", e)) {
        g.wait_idle().unwrap_or_else(|e| die("wait_idle", e));
    }
}

fn call(vm: &mut Vm, f: &str) -> Value {
    vm.call(f, &[]).unwrap_or_else(|e| die(f, &e.rendered))
}

/// SAXPY with `gpu/run`: (median of gpu/run + wait_idle, median of gpu/run + full readback
/// (zero unless `with_readback`), max error of the first run against Rust).
fn kernel_saxpy(runs: usize, n: usize, with_readback: bool) -> (Duration, Duration, f64) {
    let (xs, ys) = (data(n, 1), data(n, 2));
    let mut vm = kernel_vm();
    put_array(&mut vm, "xs", &xs);
    put_array(&mut vm, "ys", &ys);
    vm.eval(&format!("(defun run-saxpy () (gpu/run saxpy {A:?} xs ys :grid {n}))"))
        .unwrap_or_else(|e| die("run-saxpy", &e.rendered));
    // The first run builds the pipeline; it is checked, not timed.
    call(&mut vm, "run-saxpy");
    let got = Buffer::to_f32(&read_array(&vm, "ys"));
    let mut want = ys;
    saxpy_rust(A, &xs, &mut want);
    let err = max_err(&got, &want);
    let (mut dispatch, mut readback) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        dispatch.push(
            time(|| {
                call(&mut vm, "run-saxpy");
                wait_gpu();
            })
            .0,
        );
        if !with_readback {
            continue;
        }
        readback.push(
            time(|| {
                call(&mut vm, "run-saxpy");
                black_box(read_array(&vm, "ys"));
            })
            .0,
        );
    }
    (median(dispatch), if with_readback { median(readback) } else { Duration::ZERO }, err)
}

/// Matmul with `gpu/run` (one invocation per element of C): (median of gpu/run + wait_idle,
/// max error against Rust).
fn kernel_matmul(runs: usize, n: usize) -> (Duration, f64) {
    let (a, b) = (data(n * n, 3), data(n * n, 4));
    let mut vm = kernel_vm();
    put_array(&mut vm, "a", &a);
    put_array(&mut vm, "b", &b);
    put_array(&mut vm, "c", &vec![0.0; n * n]);
    vm.eval(&format!("(defun run-matmul () (gpu/run matmul {n} a b c :grid {}))", n * n))
        .unwrap_or_else(|e| die("run-matmul", &e.rendered));
    call(&mut vm, "run-matmul");
    let got = Buffer::to_f32(&read_array(&vm, "c"));
    let mut want = vec![0.0; n * n];
    matmul_rust(n, &a, &b, &mut want);
    let err = max_err(&got, &want);
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(
            time(|| {
                call(&mut vm, "run-matmul");
                wait_gpu();
            })
            .0,
        );
    }
    (median(times), err)
}

/// A Slight VM with the `tiny` kernel, a 64-element array `t`, `bench/wait` (the runtime's
/// `wait_idle`) and two loops of `k` dispatches, waiting after each.
fn tiny_vm() -> Vm {
    let mut vm = kernel_vm();
    vm.register_fn("bench/wait", || -> Result<(), String> {
        if let Some(g) = gpu::gpu()? {
            g.wait_idle()?;
        }
        Ok(())
    });
    vm.eval(&format!(
        r#"(def t (gpu/buffer {TINY_GRID} :f32))
           (defun spin-wait (k)
             (loop ((i 0)) (when (< i k) (gpu/run tiny t :grid {TINY_GRID}) (bench/wait) (recur (+ i 1)))))
           (defun spin-read (k)
             (loop ((i 0)) (when (< i k) (gpu/run tiny t :grid {TINY_GRID}) (gpu/read t) (recur (+ i 1)))))"#
    ))
    .unwrap_or_else(|e| die("tiny", &e.rendered));
    vm
}

/// Time per iteration of `(f BATCH)` (a Slight loop of dispatches).
fn per_dispatch(vm: &mut Vm, f: &str) -> Duration {
    let k = Value::Int(BATCH as i64);
    let (d, r) = time(|| vm.call(f, std::slice::from_ref(&k)));
    r.unwrap_or_else(|e| die(f, &e.rendered));
    d / BATCH as u32
}

// ---- the CPU fallback, in a child process ----

/// Runs in the child (`SLIGHT_GPU=cpu`): prints `@key seconds error` lines for the parent.
fn child_cpu_fallback(runs: usize, only: &[String]) {
    let info = gpu::info();
    if info.backend != gpu::BackendKind::Cpu {
        die("child", format!("expected the CPU fallback, got {}", info.backend.name()));
    }
    if selected(only, "saxpy") {
        let (d, _, err) = kernel_saxpy(runs, CPU_SAXPY_N, false);
        println!("@saxpy {} {err}", d.as_secs_f64());
    }
    if selected(only, "matmul") {
        let (d, err) = kernel_matmul(runs, CPU_MATMUL_N);
        println!("@matmul {} {err}", d.as_secs_f64());
    }
    if selected(only, "dispatch") {
        let mut vm = tiny_vm();
        per_dispatch(&mut vm, "spin-wait");
        let times: Vec<Duration> =
            (0..runs).map(|_| median((0..ROUNDS).map(|_| per_dispatch(&mut vm, "spin-wait")).collect())).collect();
        println!("@dispatch {} 0", median(times).as_secs_f64());
    }
}

/// Re-executes this binary with `SLIGHT_GPU=cpu`; its `@key seconds error` lines.
fn run_child(runs: usize, only: &[String]) -> Result<HashMap<String, (f64, f64)>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(exe);
    cmd.env("SLIGHT_GPU", "cpu").arg("--child-cpu-fallback").arg("--runs").arg(runs.to_string());
    for o in only {
        cmd.arg("--only").arg(o);
    }
    let out = cmd.stderr(std::process::Stdio::inherit()).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("the CPU-fallback child failed ({})", out.status));
    }
    let mut results = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.strip_prefix('@').unwrap_or_default().split_whitespace();
        if let (Some(k), Some(s), Some(e)) = (parts.next(), parts.next(), parts.next()) {
            if let (Ok(s), Ok(e)) = (s.parse(), e.parse()) {
                results.insert(k.to_string(), (s, e));
            }
        }
    }
    Ok(results)
}

// ---- raw wgpu: the baseline of the dispatch-overhead case ----

/// The value of a wgpu future, polled without an executor (the runtime's helper).
use slight::gpu::device::resolve;

/// A device of its own on the adapter the runtime uses, with the `tiny` kernel's WGSL, a
/// 64-element storage buffer and its parameter block, bound the way the runtime binds them.
struct Raw {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    storage: wgpu::Buffer,
    params: Vec<u8>,
    /// The parameter block of the bind group made once.
    uniform: wgpu::Buffer,
    group: wgpu::BindGroup,
}

impl Raw {
    fn new(source: &str, params_size: usize, info: &gpu::Info) -> Result<Raw, String> {
        use wgpu::util::DeviceExt;
        let backends = match info.backend {
            gpu::BackendKind::Vulkan => wgpu::Backends::VULKAN,
            gpu::BackendKind::Gl => wgpu::Backends::GL,
            gpu::BackendKind::Metal => wgpu::Backends::METAL,
            gpu::BackendKind::Dx12 => wgpu::Backends::DX12,
            gpu::BackendKind::Cpu => return Err("no GPU adapter".into()),
        };
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = backends;
        let instance = wgpu::Instance::new(desc);
        let adapter = resolve(instance.enumerate_adapters(backends))
            .into_iter()
            .find(|a| a.get_info().name == info.adapter)
            .ok_or_else(|| format!("adapter {:?} not found", info.adapter))?;
        let desc = wgpu::DeviceDescriptor {
            label: Some("bench-raw"),
            required_limits: adapter.limits(),
            ..Default::default()
        };
        let (device, queue) = resolve(adapter.request_device(&desc)).map_err(|e| e.to_string())?;
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &module,
            entry_point: Some(wgsl::ENTRY_POINT),
            compilation_options: Default::default(),
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let storage = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: &vec![0u8; TINY_GRID as usize * 4],
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        });
        // Params { grid, row, s0 }: 64 invocations, one row of one workgroup.
        let mut words = vec![0u32; params_size / 4];
        words[0] = TINY_GRID;
        words[1] = TINY_GRID.div_ceil(wgsl::WORKGROUP_SIZE) * wgsl::WORKGROUP_SIZE;
        let params = bytemuck::cast_slice(&words).to_vec();
        let (uniform, group) = Self::bind(&device, &layout, &params, &storage);
        Ok(Raw { device, queue, pipeline, layout, storage, params, uniform, group })
    }

    fn bind(
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        params: &[u8],
        storage: &wgpu::Buffer,
    ) -> (wgpu::Buffer, wgpu::BindGroup) {
        use wgpu::util::DeviceExt;
        let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: params,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        });
        let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: storage.as_entire_binding() },
            ],
        });
        (uniform, group)
    }

    /// One dispatch, waited for, with the parameter buffer and bind group `mode` says.
    fn dispatch(&self, mode: RawMode) {
        if mode == RawMode::Write {
            self.queue.write_buffer(&self.uniform, 0, &self.params);
        }
        let made =
            (mode == RawMode::Fresh).then(|| Self::bind(&self.device, &self.layout, &self.params, &self.storage));
        let group = made.as_ref().map_or(&self.group, |(_, g)| g);
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(TINY_GRID.div_ceil(wgsl::WORKGROUP_SIZE), 1, 1);
        }
        self.queue.submit([encoder.finish()]);
        self.device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
            .unwrap_or_else(|e| die("poll", e));
    }

    fn per_dispatch(&self, mode: RawMode) -> Duration {
        let (d, ()) = time(|| {
            for _ in 0..BATCH {
                self.dispatch(mode);
            }
        });
        d / BATCH as u32
    }

    fn read_storage(&self) -> Vec<f32> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: TINY_GRID as u64 * 4,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.storage, 0, &staging, 0, TINY_GRID as u64 * 4);
        self.queue.submit([encoder.finish()]);
        staging.slice(..).map_async(wgpu::MapMode::Read, |_| {});
        self.device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
            .unwrap_or_else(|e| die("poll", e));
        let view = staging.slice(..).get_mapped_range().unwrap_or_else(|e| die("map", e));
        bytemuck::cast_slice(&view).to_vec()
    }
}

/// How the raw baseline gets its parameter block and bind group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RawMode {
    /// Made once, reused as they are.
    Prebuilt,
    /// Made once; the parameters rewritten with `queue.write_buffer` before each dispatch (what
    /// `gpu/run` does while it is passed the same arrays).
    Write,
    /// A new uniform buffer (`create_buffer_init`) and bind group for each dispatch.
    Fresh,
}

// ---- report ----

fn ms(d: f64) -> String {
    if d >= 10.0 {
        format!("{d:.0}")
    } else {
        format!("{d:.2}")
    }
}

/// A row of the SAXPY and matmul tables.
struct Row {
    label: String,
    size: String,
    /// Median seconds at the size measured.
    measured: f64,
    /// Factor to the full size (1 when measured at it).
    scale: f64,
    err: Option<f64>,
}

fn print_table(title: &str, rows: &[Row], rust: f64, tolerance: f64) -> bool {
    println!("{title}\n");
    println!(
        "| implementation | size measured | median ms (measured) | ms at full size | / Rust | max abs error vs Rust |"
    );
    println!("|:---|:---|---:|---:|---:|---:|");
    let mut ok = true;
    for r in rows {
        let full = r.measured * r.scale;
        let err = match r.err {
            None => "—".to_string(),
            Some(e) if e <= tolerance => format!("{e:.1e}"),
            Some(e) => {
                ok = false;
                format!("{e:.1e} MISMATCH")
            }
        };
        println!(
            "| {} | {} | {} | {} | {:.2}x | {err} |",
            r.label,
            r.size,
            ms(r.measured * 1e3),
            ms(full * 1e3),
            full / rust
        );
    }
    println!();
    ok
}

fn selected(only: &[String], name: &str) -> bool {
    only.is_empty() || only.iter().any(|o| o == name)
}

fn main() {
    let mut runs = 5usize;
    let mut only: Vec<String> = Vec::new();
    let mut child = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0).expect("--runs N"),
            "--only" => only.push(
                args.next()
                    .filter(|o| ["saxpy", "matmul", "dispatch"].contains(&o.as_str()))
                    .expect("--only saxpy|matmul|dispatch"),
            ),
            "--child-cpu-fallback" => child = true,
            "--wgsl" => {
                let mut vm = kernel_vm();
                for k in ["saxpy", "matmul", "tiny"] {
                    println!("{}", vm.eval(&format!("(gpu/wgsl {k})")).map(|v| v.to_string()).unwrap_or_default());
                }
                return;
            }
            _ => {
                eprintln!("usage: slight-bench-gpu [--runs N] [--only saxpy|matmul|dispatch]... | --wgsl");
                std::process::exit(2)
            }
        }
    }
    if child {
        child_cpu_fallback(runs, &only);
        return;
    }
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful figures");
    }
    let total = Instant::now();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let info = gpu::info();
    println!("GPU compute benchmarks: median of {runs} runs, {cpus} CPUs\n");
    println!(
        "back end: {} — adapter {:?} ({}), driver {:?}",
        info.backend.name(),
        info.adapter,
        info.device_type,
        info.driver
    );
    if info.device_type == "cpu" {
        println!(
            "NOTE: this adapter is a software implementation (e.g. Mesa lavapipe/llvmpipe): the \"GPU\" \
             rows run on the same {cpus} CPU cores as everything else."
        );
    }
    if let Some(r) = &info.reason {
        println!("NOTE: no GPU adapter ({r}): the \"wgpu\" rows below also run on the CPU fallback.");
    }
    println!();

    // The CPU fallback first, in a child process (the back end is chosen once per process).
    eprintln!("running the CPU fallback in a child process (SLIGHT_GPU=cpu)...");
    let cpu = run_child(runs, &only).unwrap_or_else(|e| {
        eprintln!("warning: {e}");
        HashMap::new()
    });
    let cpu_row = |key: &str, label: &str, size: String, scale: f64| -> Option<Row> {
        cpu.get(key).map(|&(s, e)| Row { label: label.into(), size, measured: s, scale, err: Some(e) })
    };
    let mut ok = true;

    if selected(&only, "saxpy") {
        eprintln!("saxpy...");
        let rust = rust_saxpy(runs.max(10)).as_secs_f64();
        let (dispatch, readback, err) = kernel_saxpy(runs, SAXPY_N, true);
        let (vm_s, vm_err) = vm_saxpy(runs);
        let mut rows = vec![
            Row {
                label: "defkernel on wgpu: `gpu/run` + `wait_idle`".into(),
                size: "16M".into(),
                measured: dispatch.as_secs_f64(),
                scale: 1.0,
                err: Some(err),
            },
            Row {
                label: "defkernel on wgpu: `gpu/run` + read all of ys back (`Buffer::read_blocking`, 64 MiB)".into(),
                size: "16M".into(),
                measured: readback.as_secs_f64(),
                scale: 1.0,
                err: None,
            },
        ];
        rows.extend(cpu_row(
            "saxpy",
            "defkernel on the CPU fallback (`SLIGHT_GPU=cpu`): `gpu/run`",
            format!("{}M, x{} scaled", CPU_SAXPY_N >> 20, SAXPY_N / CPU_SAXPY_N),
            (SAXPY_N / CPU_SAXPY_N) as f64,
        ));
        rows.push(Row {
            label: "plain Slight on the VM: `loop`/`recur` over lists (f64)".into(),
            size: format!("{}M, x{} scaled", VM_SAXPY_N >> 20, SAXPY_N / VM_SAXPY_N),
            measured: vm_s.as_secs_f64(),
            scale: (SAXPY_N / VM_SAXPY_N) as f64,
            err: Some(vm_err),
        });
        rows.push(Row {
            label: "hand-written Rust: indexed for loop over Vec<f32>".into(),
            size: "16M".into(),
            measured: rust,
            scale: 1.0,
            err: None,
        });
        ok &= print_table("1. SAXPY `ys[i] = 2 * xs[i] + ys[i]`, 16M (16*1024*1024) f32", &rows, rust, 1e-5);
    }

    if selected(&only, "matmul") {
        eprintln!("matmul...");
        let rust = rust_matmul(runs).as_secs_f64();
        let (gpu_d, err) = kernel_matmul(runs, MATMUL_N);
        let (vm_d, vm_err) = vm_matmul(runs);
        let cube = |n: usize| (MATMUL_N as f64 / n as f64).powi(3);
        let mut rows = vec![Row {
            label: "defkernel on wgpu: `gpu/run` + `wait_idle`".into(),
            size: format!("{MATMUL_N}"),
            measured: gpu_d.as_secs_f64(),
            scale: 1.0,
            err: Some(err),
        }];
        rows.extend(cpu_row(
            "matmul",
            "defkernel on the CPU fallback (`SLIGHT_GPU=cpu`): `gpu/run`",
            format!("{CPU_MATMUL_N}, x{} scaled (n^3)", cube(CPU_MATMUL_N)),
            cube(CPU_MATMUL_N),
        ));
        rows.push(Row {
            label: "plain Slight on the VM: lists of rows, transpose + `list/map` of dot products (f64)".into(),
            size: format!("{VM_MATMUL_N}, x{} scaled (n^3)", cube(VM_MATMUL_N)),
            measured: vm_d.as_secs_f64(),
            scale: cube(VM_MATMUL_N),
            err: Some(vm_err),
        });
        rows.push(Row {
            label: "hand-written Rust: naive triple loop, i-k-j".into(),
            size: format!("{MATMUL_N}"),
            measured: rust,
            scale: 1.0,
            err: None,
        });
        // f32 sums of n products of numbers in [-1, 1), in different orders.
        ok &= print_table(
            &format!("2. Matrix multiply C = A B, {MATMUL_N}x{MATMUL_N} f32"),
            &rows,
            rust,
            2e-5 * MATMUL_N as f64,
        );
    }

    if selected(&only, "dispatch") {
        eprintln!("dispatch overhead...");
        ok &= dispatch_table(runs, &info, cpu.get("dispatch").map(|&(s, _)| s));
    }

    println!("total wall time of this run: {:.0} s", total.elapsed().as_secs_f64());
    if !ok {
        std::process::exit(1);
    }
}

// ---- plain Slight on the VM ----

fn vm_saxpy(runs: usize) -> (Duration, f64) {
    let n = VM_SAXPY_N;
    let (xs, ys) = (data(n, 1), data(n, 2));
    let mut vm = Vm::new();
    vm.eval(VM_PROGRAMS).unwrap_or_else(|e| die("vm programs", &e.rendered));
    let to_list = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>().into_value();
    let args = [Value::Float(A as f64), to_list(&xs), to_list(&ys)];
    let first = vm.call("saxpy-list", &args).unwrap_or_else(|e| die("saxpy-list", &e.rendered));
    let got: Vec<f32> = Vec::<f64>::from_value(&first)
        .unwrap_or_else(|e| die("result", &e.message))
        .iter()
        .map(|&x| x as f32)
        .collect();
    drop(first);
    let mut want = ys;
    saxpy_rust(A, &xs, &mut want);
    let err = max_err(&got, &want);
    let mut times = Vec::new();
    for _ in 0..runs {
        // Timed: the call and freeing the result list.
        times.push(time(|| drop(vm.call("saxpy-list", &args).unwrap_or_else(|e| die("saxpy-list", &e.rendered)))).0);
    }
    (median(times), err)
}

fn vm_matmul(runs: usize) -> (Duration, f64) {
    let n = VM_MATMUL_N;
    let (a, b) = (data(n * n, 3), data(n * n, 4));
    let rows = |m: &[f32]| {
        m.chunks(n).map(|r| r.iter().map(|&x| x as f64).collect::<Vec<f64>>()).collect::<Vec<_>>().into_value()
    };
    let args = [rows(&a), rows(&b)];
    let mut vm = Vm::new();
    vm.eval(VM_PROGRAMS).unwrap_or_else(|e| die("vm programs", &e.rendered));
    let first = vm.call("matmul-lists", &args).unwrap_or_else(|e| die("matmul-lists", &e.rendered));
    let got: Vec<f32> = Vec::<Vec<f64>>::from_value(&first)
        .unwrap_or_else(|e| die("result", &e.message))
        .concat()
        .iter()
        .map(|&x| x as f32)
        .collect();
    let mut want = vec![0.0; n * n];
    matmul_rust(n, &a, &b, &mut want);
    let err = max_err(&got, &want);
    let mut times = Vec::new();
    for _ in 0..runs {
        times
            .push(time(|| drop(vm.call("matmul-lists", &args).unwrap_or_else(|e| die("matmul-lists", &e.rendered)))).0);
    }
    (median(times), err)
}

// ---- dispatch overhead ----

fn dispatch_table(runs: usize, info: &gpu::Info, cpu_fallback: Option<f64>) -> bool {
    let mut vm = tiny_vm();
    let kernel = vm.global("tiny").unwrap_or_else(|| die("global", "tiny"));
    let Value::Gpu(obj) = &kernel else { die("tiny", "not a kernel") };
    let GpuObject::Kernel(k) = &**obj else { die("tiny", "not a kernel") };
    let (source, params_size) = (k.wgsl.clone(), wgsl::params_size(&k.ir));
    let title = format!(
        "3. Dispatch overhead: the `tiny` kernel (xs[i] += 1) on a {TINY_GRID}-element grid, waiting for completion \
         after each dispatch. Each run: {ROUNDS} rounds of {BATCH} dispatches per variant, interleaved; a run's figure \
         is the median over its rounds, the table the median over {runs} runs"
    );
    println!("{title}\n");
    let raw = match Raw::new(&source, params_size, info) {
        Ok(r) => r,
        Err(e) => {
            println!("raw wgpu baseline not available: {e}\n");
            return true;
        }
    };
    // Warm up both (pipelines, first submissions).
    per_dispatch(&mut vm, "spin-wait");
    raw.per_dispatch(RawMode::Prebuilt);
    let mut t: [Vec<Duration>; 5] = Default::default();
    for _ in 0..runs {
        let mut rounds: [Vec<Duration>; 5] = Default::default();
        for r in 0..ROUNDS {
            for v in (0..5).map(|i| (i + r) % 5) {
                rounds[v].push(match v {
                    0 => raw.per_dispatch(RawMode::Prebuilt),
                    1 => raw.per_dispatch(RawMode::Write),
                    2 => raw.per_dispatch(RawMode::Fresh),
                    3 => per_dispatch(&mut vm, "spin-wait"),
                    _ => per_dispatch(&mut vm, "spin-read"),
                });
            }
        }
        for (v, samples) in rounds.into_iter().enumerate() {
            t[v].push(median(samples));
        }
    }
    let [raw_pre, raw_write, raw_fresh, slight_wait, slight_read] = t.map(|v| median(v).as_secs_f64());
    // Each element was incremented once per dispatch: check both devices ran them all.
    let (raw_runs, slight_runs) = (BATCH + 3 * runs * ROUNDS * BATCH, BATCH + 2 * runs * ROUNDS * BATCH);
    let raw_vals = raw.read_storage();
    let slight_vals = Buffer::to_f32(&read_array(&vm, "t"));
    let ok = raw_vals.iter().all(|&x| x == raw_runs as f32) && slight_vals.iter().all(|&x| x == slight_runs as f32);
    println!("| implementation | µs per dispatch | / raw wgpu (pre-built bind group) |");
    println!("|:---|---:|---:|");
    let row = |label: &str, s: f64| println!("| {label} | {:.1} | {:.2}x |", s * 1e6, s / raw_pre);
    row("raw wgpu, own device on the same adapter: encoder + pass + submit + `poll(Wait)`; uniform + bind group made once", raw_pre);
    row(
        "raw wgpu, same, + `queue.write_buffer` of the 16-byte parameter block per dispatch (as `gpu/run` does)",
        raw_write,
    );
    row("raw wgpu, same, with a new uniform buffer + bind group per dispatch", raw_fresh);
    row("Slight `(gpu/run tiny t :grid 64)` + `wait_idle` (registered Rust fn), in a Slight `loop`", slight_wait);
    row("Slight `(gpu/run tiny t :grid 64)` + `(gpu/read t)` (a 64-element readback, list result)", slight_read);
    if let Some(c) = cpu_fallback {
        row("Slight `gpu/run` on the CPU fallback (`SLIGHT_GPU=cpu`, no device)", c);
    }
    println!();
    let ratio = slight_wait / raw_pre;
    println!(
        "`gpu/run` + wait vs raw wgpu: {ratio:.2}x (target <= 1.20x: {}); vs raw wgpu that also rewrites the \
         parameters per dispatch: {:.2}x\n",
        if ratio <= 1.2 { "met" } else { "NOT met" },
        slight_wait / raw_write
    );
    if !ok {
        println!("MISMATCH: the tiny kernel's arrays do not hold the number of dispatches run\n");
    }
    ok
}
