//! GPU compute, shared by the VM and compiled code (docs/LANGUAGE.md §8).
//!
//! - [`device`]: the wgpu device, chosen once per program (`SLIGHT_GPU`), or the CPU fallback.
//! - [`cpu`]: the CPU fallback, which interprets a kernel's checked IR.
//! - This module: the objects Slight code holds ([`GpuObject`]: buffers, shaders, pipelines,
//!   kernels), their creation, kernel dispatch on either back end, and readback.
//!
//! Kernels are checked and turned into WGSL by `slight_core::kernel` when `defkernel` is
//! expanded; the builtins live in `builtins/gpu.rs`.

pub mod cpu;
pub mod device;

use crate::value::Value;
use slight_core::kernel::{wgsl, Kernel, ParamType, Scalar};
use std::cell::RefCell;

pub use device::{BackendKind, Info};

/// A GPU object as Slight code sees it (`Value::Gpu`).
pub enum GpuObject {
    /// An array (`gpu/array`, `gpu/buffer`).
    Buffer(Buffer),
    /// A raw WGSL shader (`gpu/shader`).
    Shader(Box<Shader>),
    /// A compute pipeline of a raw shader (`gpu/pipeline`).
    Pipeline(Pipeline),
    /// A kernel made by `defkernel`.
    Kernel(Box<KernelObject>),
}

impl GpuObject {
    /// How `print` shows it.
    pub fn describe(&self) -> String {
        match self {
            GpuObject::Buffer(b) => format!("#<gpu-array {} x{}>", b.elem.name(), b.len),
            GpuObject::Shader(_) => "#<gpu-shader>".into(),
            GpuObject::Pipeline(p) => format!("#<gpu-pipeline {}>", p.entry),
            GpuObject::Kernel(k) => format!("#<kernel {}>", k.ir.name),
        }
    }

    /// The `type/of` name: `GPU-ARRAY`, `GPU-SHADER`, `GPU-PIPELINE` or `KERNEL`.
    pub fn type_name(&self) -> &'static str {
        match self {
            GpuObject::Buffer(_) => "GPU-ARRAY",
            GpuObject::Shader(_) => "GPU-SHADER",
            GpuObject::Pipeline(_) => "GPU-PIPELINE",
            GpuObject::Kernel(_) => "KERNEL",
        }
    }
}

/// `(gpu/info)`: the back end in use (choosing it if needed).
pub fn info() -> Info {
    device::choice().info.clone()
}

/// The GPU, or `None` when kernels run on the CPU fallback. An error when `SLIGHT_GPU` forced
/// a back end that is not there.
pub fn gpu() -> Result<Option<&'static device::Gpu>, String> {
    let choice = device::choice();
    if let Some(e) = &choice.forced_error {
        return Err(e.clone());
    }
    if choice.gpu.is_none() {
        device::announce_fallback(&choice.info);
    }
    Ok(choice.gpu.as_ref())
}

pub use crate::wgsl::validate_wgsl;

// ---- arrays (buffers) ----

/// The array `v` holds (made by `gpu/array` or `gpu/buffer`), for reading it from Rust:
/// [`Buffer::read_blocking`] or [`Buffer::read_async`], then [`Buffer::to_values`] or
/// [`Buffer::to_f32`].
pub fn as_array(v: &Value) -> Option<&Buffer> {
    match v {
        Value::Gpu(obj) => match &**obj {
            GpuObject::Buffer(b) => Some(b),
            _ => None,
        },
        _ => None,
    }
}

/// A typed array of 32-bit elements: on the GPU, or in host memory for the CPU fallback.
pub struct Buffer {
    /// The element type.
    pub elem: Scalar,
    /// The number of elements (at least 1).
    pub len: usize,
    /// Unique for the program's lifetime (bind groups are cached by the ids of their arrays).
    id: u64,
    store: Store,
    /// A readback in progress (kept here so that a process paused while waiting finds it).
    pending: RefCell<Option<device::Readback>>,
}

/// Most elements of one array: indices (`gpu/id`, `len`) are `i32` in kernels.
pub const MAX_ELEMENTS: usize = i32::MAX as usize;

/// Most elements of one array on the CPU fallback (1 GiB), so that a huge request is an error
/// rather than an allocation failure that aborts the program.
pub const MAX_HOST_ELEMENTS: usize = 1 << 28;

/// `len` zeroed words in host memory, or an error if that is too much.
fn host_words(len: usize) -> Result<Vec<u32>, String> {
    if len > MAX_HOST_ELEMENTS {
        return Err(format!("{len} elements is more than the CPU fallback allows in one array ({MAX_HOST_ELEMENTS})"));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| format!("out of memory for an array of {len} elements"))?;
    v.resize(len, 0);
    Ok(v)
}

fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

enum Store {
    Host(RefCell<Vec<u32>>),
    Device(wgpu::Buffer),
}

/// Element type from a keyword/symbol name (`:f32`, `f32`).
pub fn elem_type(name: &str) -> Option<Scalar> {
    Scalar::from_name(name.trim_start_matches(':')).filter(|s| s.is_numeric())
}

/// A Slight number as an element word of type `t`.
pub fn to_word(t: Scalar, v: &Value) -> Result<u32, String> {
    match (t, v) {
        (Scalar::F32, Value::Int(i)) => Ok((*i as f32).to_bits()),
        (Scalar::F32, Value::Float(f)) => Ok((*f as f32).to_bits()),
        (Scalar::I32, Value::Int(i)) => {
            i32::try_from(*i).map(|x| x as u32).map_err(|_| format!("{i} does not fit in i32"))
        }
        (Scalar::U32, Value::Int(i)) => u32::try_from(*i).map_err(|_| format!("{i} does not fit in u32")),
        (t, v) => {
            Err(format!("expected {} number, got {}", if t == Scalar::F32 { "a" } else { "an integer" }, v.repr()))
        }
    }
}

/// An element word of type `t` as a Slight number: a float for `f32`, an integer otherwise.
pub fn from_word(t: Scalar, w: u32) -> Value {
    match t {
        Scalar::F32 => Value::Float(f32::from_bits(w) as f64),
        Scalar::I32 => Value::Int(w as i32 as i64),
        _ => Value::Int(w as i64),
    }
}

impl Buffer {
    /// A new array holding `words` (element type `elem`).
    pub fn new(elem: Scalar, words: Vec<u32>) -> Result<Buffer, String> {
        if words.is_empty() {
            return Err("an array needs at least one element".into());
        }
        if words.len() > MAX_ELEMENTS {
            return Err(format!("{} elements is more than an array can hold ({MAX_ELEMENTS})", words.len()));
        }
        let len = words.len();
        let store = match gpu()? {
            Some(g) => Store::Device(g.buffer(len as u64 * 4, Some(bytemuck::cast_slice(&words)))?),
            None => Store::Host(RefCell::new(words)),
        };
        Ok(Buffer { elem, len, id: next_id(), store, pending: RefCell::new(None) })
    }

    /// A new array of `len` zeros.
    pub fn zeroed(elem: Scalar, len: usize) -> Result<Buffer, String> {
        if len == 0 {
            return Err("an array needs at least one element".into());
        }
        if len > MAX_ELEMENTS {
            return Err(format!("{len} elements is more than an array can hold ({MAX_ELEMENTS})"));
        }
        let store = match gpu()? {
            Some(g) => Store::Device(g.buffer(len as u64 * 4, None)?),
            None => Store::Host(RefCell::new(host_words(len)?)),
        };
        Ok(Buffer { elem, len, id: next_id(), store, pending: RefCell::new(None) })
    }

    /// Replaces the contents (exactly `len` words).
    pub fn write(&self, words: &[u32]) -> Result<(), String> {
        if words.len() != self.len {
            return Err(format!("{} values for an array of {}", words.len(), self.len));
        }
        match &self.store {
            Store::Host(h) => h.borrow_mut().copy_from_slice(words),
            Store::Device(b) => gpu()?.expect("a device buffer has a GPU").write(b, bytemuck::cast_slice(words))?,
        }
        Ok(())
    }

    /// Starts copying the contents back to the host unless a copy is already running; true
    /// when this call started it (the GPU is then certainly still busy with it).
    pub fn begin_read(&self) -> Result<bool, String> {
        let Store::Device(b) = &self.store else { return Ok(false) };
        if self.pending.borrow().is_some() {
            return Ok(false);
        }
        let g = gpu()?.expect("a device buffer has a GPU");
        *self.pending.borrow_mut() = Some(g.start_read(b, self.len as u64 * 4)?);
        Ok(true)
    }

    /// One step of reading the contents back: the words when they are there, `None` while the
    /// GPU is still copying (call again later; [`device::Gpu::poll`] advances it).
    pub fn poll_read(&self) -> Result<Option<Vec<u32>>, String> {
        if let Store::Host(h) = &self.store {
            return Ok(Some(h.borrow().clone()));
        }
        self.begin_read()?;
        let g = gpu()?.expect("a device buffer has a GPU");
        g.poll();
        let taken = self.pending.borrow().as_ref().and_then(|r| r.try_take(self.len));
        match taken {
            None => Ok(None),
            Some(result) => {
                *self.pending.borrow_mut() = None;
                result.map(Some)
            }
        }
    }

    /// Reads the contents back, blocking the thread until the GPU is done.
    pub fn read_blocking(&self) -> Result<Vec<u32>, String> {
        loop {
            if let Some(words) = self.poll_read()? {
                return Ok(words);
            }
            if let Some(g) = gpu()? {
                g.wait_idle()?;
            }
        }
    }

    /// Reads the contents back without blocking the thread: a future that polls the device each
    /// time it is polled (and asks to be polled again).
    pub fn read_async(&self) -> ReadFuture<'_> {
        ReadFuture { buffer: self }
    }

    /// Words of an `f32` array as floats.
    pub fn to_f32(words: &[u32]) -> Vec<f32> {
        words.iter().map(|&w| f32::from_bits(w)).collect()
    }

    /// The contents as Slight numbers.
    pub fn to_values(&self, words: &[u32]) -> Vec<Value> {
        words.iter().map(|&w| from_word(self.elem, w)).collect()
    }
}

/// See [`Buffer::read_async`].
pub struct ReadFuture<'a> {
    buffer: &'a Buffer,
}

impl std::future::Future for ReadFuture<'_> {
    type Output = Result<Vec<u32>, String>;
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        match self.buffer.poll_read() {
            Ok(Some(words)) => std::task::Poll::Ready(Ok(words)),
            Err(e) => std::task::Poll::Ready(Err(e)),
            Ok(None) => {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }
}

// ---- raw WGSL: shaders and pipelines ----

/// A raw WGSL shader (`gpu/shader`): its validated source, compiled too when there is a GPU.
pub struct Shader {
    /// The WGSL source text.
    pub source: String,
    naga: naga::Module,
    module: Option<wgpu::ShaderModule>,
}

/// A compute pipeline for one `@compute` entry point of a [`Shader`] (`gpu/pipeline`); it can run
/// only on a GPU.
pub struct Pipeline {
    /// The entry point's name.
    pub entry: String,
    /// The entry point's workgroup size.
    pub workgroup: [u32; 3],
    pipeline: Option<wgpu::ComputePipeline>,
}

impl Shader {
    /// Validates `source` and compiles it when there is a GPU; an error says what is wrong with it.
    pub fn new(source: &str) -> Result<Shader, String> {
        let naga = validate_wgsl(source)?;
        let module = match gpu()? {
            Some(g) => Some(g.shader(source)?),
            None => None,
        };
        Ok(Shader { source: source.to_string(), naga, module })
    }

    /// A pipeline for the `@compute` entry point `entry`; an error if the shader has no such entry
    /// point.
    pub fn pipeline(&self, entry: &str) -> Result<Pipeline, String> {
        let Some(ep) = self.naga.entry_points.iter().find(|e| e.name == entry) else {
            let names: Vec<&str> = self.naga.entry_points.iter().map(|e| e.name.as_str()).collect();
            return Err(format!("the shader has no entry point {entry:?} (it has: {})", names.join(", ")));
        };
        if ep.stage != naga::ShaderStage::Compute {
            return Err(format!("entry point {entry:?} is not a @compute function"));
        }
        let pipeline = match (gpu()?, &self.module) {
            (Some(g), Some(m)) => Some(g.pipeline(m, entry)?),
            _ => None,
        };
        Ok(Pipeline { entry: entry.to_string(), workgroup: ep.workgroup_size, pipeline })
    }
}

impl Pipeline {
    /// `(gpu/dispatch pipeline buffers groups)`: buffers bound to bindings 0.. of group 0.
    pub fn dispatch(&self, buffers: &[&Buffer], groups: [u32; 3]) -> Result<(), String> {
        let Some(pipeline) = &self.pipeline else {
            return Err("raw WGSL shaders need a GPU adapter; the CPU fallback runs defkernel kernels only".into());
        };
        let g = gpu()?.expect("a pipeline has a GPU");
        let raw: Vec<&wgpu::Buffer> = buffers
            .iter()
            .map(|b| match &b.store {
                Store::Device(d) => d,
                Store::Host(_) => unreachable!("buffers live on the GPU when there is one"),
            })
            .collect();
        g.dispatch(pipeline, &raw, groups)
    }
}

// ---- kernels ----

/// A `defkernel`: its checked IR, its WGSL, and the pipeline (made on first GPU use).
pub struct KernelObject {
    /// The checked kernel IR (what the CPU fallback interprets).
    pub ir: Kernel,
    /// The WGSL generated from the IR.
    pub wgsl: String,
    pipeline: std::cell::OnceCell<wgpu::ComputePipeline>,
    /// The parameter block's buffer and the bind group of the last call, reused while a call
    /// passes the same arrays (so a repeated `gpu/run` only writes the parameters and submits).
    bound: RefCell<Option<Bound>>,
}

struct Bound {
    uniform: wgpu::Buffer,
    /// What the parameter block holds now.
    words: Vec<u32>,
    arrays: Vec<u64>,
    group: wgpu::BindGroup,
}

/// An argument of `gpu/run`.
pub enum KernelArg<'a> {
    /// A scalar argument as its 32-bit element word.
    Scalar(u32),
    /// An array argument.
    Array(&'a Buffer),
}

impl KernelObject {
    /// A kernel from its IR and WGSL; the GPU pipeline is made on the first run that needs it.
    pub fn new(ir: Kernel, wgsl: String) -> KernelObject {
        KernelObject { ir, wgsl, pipeline: Default::default(), bound: RefCell::new(None) }
    }

    /// Runs invocations `0 .. grid` with `args` (already matched to the parameters).
    pub fn run(&self, args: &[KernelArg], grid: u32) -> Result<(), String> {
        if grid == 0 {
            return Ok(());
        }
        for (i, a) in args.iter().enumerate() {
            if let KernelArg::Array(b) = a {
                if args[..i].iter().any(|x| matches!(x, KernelArg::Array(c) if std::ptr::eq(*b, *c))) {
                    return Err(format!(
                        "the same array is passed as parameters {} and {}",
                        first_use(args, b) + 1,
                        i + 1
                    ));
                }
            }
        }
        match gpu()? {
            Some(g) => self.run_gpu(g, args, grid),
            None => {
                self.run_cpu(args, grid);
                Ok(())
            }
        }
    }

    fn run_gpu(&self, g: &device::Gpu, args: &[KernelArg], grid: u32) -> Result<(), String> {
        let pipeline = match self.pipeline.get() {
            Some(p) => p,
            None => {
                let module = g.shader(&self.wgsl)?;
                let made = g.pipeline(&module, wgsl::ENTRY_POINT)?;
                self.pipeline.get_or_init(|| made)
            }
        };
        let groups = grid.div_ceil(wgsl::WORKGROUP_SIZE);
        let max = g.limits.max_compute_workgroups_per_dimension.max(1);
        let x = groups.min(max);
        let y = groups.div_ceil(x);
        let mut words = vec![0u32; wgsl::params_size(&self.ir) / 4];
        words[0] = grid;
        words[1] = x * wgsl::WORKGROUP_SIZE;
        let mut buffers = Vec::new();
        let mut ids = Vec::new();
        for (i, a) in args.iter().enumerate() {
            match a {
                KernelArg::Scalar(w) => words[2 + i] = *w,
                KernelArg::Array(b) => match &b.store {
                    Store::Device(d) => {
                        buffers.push(d);
                        ids.push(b.id);
                    }
                    Store::Host(_) => unreachable!("buffers live on the GPU when there is one"),
                },
            }
        }
        let mut bound = self.bound.borrow_mut();
        if bound.as_ref().is_none_or(|b| b.arrays != ids) {
            let uniform = match bound.take() {
                Some(b) => b.uniform,
                None => g.uniform(words.len() as u64 * 4)?,
            };
            let group = g.bind_group(pipeline, Some(&uniform), &buffers)?;
            *bound = Some(Bound { uniform, words: Vec::new(), arrays: ids, group });
        }
        let b = bound.as_mut().expect("just bound");
        if b.words != words {
            g.write(&b.uniform, bytemuck::cast_slice(&words))?;
            b.words = words;
        }
        g.submit(pipeline, Some(&b.group), [x, y, 1])
    }

    fn run_cpu(&self, args: &[KernelArg], grid: u32) {
        let scalars: Vec<u32> = args.iter().map(|a| if let KernelArg::Scalar(w) = a { *w } else { 0 }).collect();
        let mut borrows: Vec<Option<std::cell::RefMut<Vec<u32>>>> = args
            .iter()
            .map(|a| match a {
                KernelArg::Array(b) => match &b.store {
                    Store::Host(h) => Some(h.borrow_mut()),
                    Store::Device(_) => unreachable!("no device buffers without a GPU"),
                },
                KernelArg::Scalar(_) => None,
            })
            .collect();
        let mut arrays: Vec<Option<&mut [u32]>> =
            borrows.iter_mut().map(|b| b.as_deref_mut().map(|v| v.as_mut_slice())).collect();
        cpu::run(&self.ir, &scalars, &mut arrays, grid);
    }

    /// Matches Slight values to the kernel's parameters.
    pub fn args<'a>(&self, values: &'a [Value]) -> Result<Vec<KernelArg<'a>>, String> {
        let params = &self.ir.params;
        if values.len() != params.len() {
            return Err(format!("kernel {} takes {} arguments, got {}", self.ir.name, params.len(), values.len()));
        }
        let mut out = Vec::with_capacity(values.len());
        for (i, (p, v)) in params.iter().zip(values).enumerate() {
            let bad = |what: String| {
                format!("argument {} ({}) must be {}, {what}", i + 1, p.name, p.ty.describe_with_article())
            };
            match p.ty {
                ParamType::Scalar(t) => match v {
                    Value::Int(_) | Value::Float(_) => {
                        let w = to_word(t, v).map_err(|e| format!("argument {} ({}): {e}", i + 1, p.name))?;
                        out.push(KernelArg::Scalar(w))
                    }
                    other => return Err(bad(format!("got {}", other.repr()))),
                },
                ParamType::Array(t) => match v {
                    Value::Gpu(obj) => match &**obj {
                        GpuObject::Buffer(b) if b.elem == t => out.push(KernelArg::Array(b)),
                        GpuObject::Buffer(b) => return Err(bad(format!("got an (array {})", b.elem.name()))),
                        other => return Err(bad(format!("got {}", other.describe()))),
                    },
                    other => return Err(bad(format!("got {}", other.repr()))),
                },
            }
        }
        Ok(out)
    }
}

fn first_use(args: &[KernelArg], b: &Buffer) -> usize {
    args.iter().position(|x| matches!(x, KernelArg::Array(c) if std::ptr::eq(b, *c))).unwrap_or(0)
}
