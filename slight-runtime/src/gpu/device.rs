//! The wgpu device: chosen once, lazily, and shared by every VM and process of the program.
//!
//! `SLIGHT_GPU` picks the back end: `auto` (the default: Vulkan, Metal or DX12, then GL, then
//! the CPU fallback), `vulkan`, `gl`, or `cpu`. Every wgpu call that can fail runs inside an
//! error scope, and the device's uncaptured-error handler only records, so a bad shader, a bad
//! binding or an allocation failure becomes a Slight error and the device stays usable.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};

/// Which back end runs kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// Vulkan.
    Vulkan,
    /// OpenGL or OpenGL ES.
    Gl,
    /// Apple's Metal.
    Metal,
    /// Direct3D 12.
    Dx12,
    /// The CPU fallback (kernels interpreted from their IR).
    Cpu,
}

impl BackendKind {
    /// The lowercase name `gpu/info` reports: `vulkan`, `gl`, `metal`, `dx12` or `cpu`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Vulkan => "vulkan",
            BackendKind::Gl => "gl",
            BackendKind::Metal => "metal",
            BackendKind::Dx12 => "dx12",
            BackendKind::Cpu => "cpu",
        }
    }
}

/// What `(gpu/info)` reports.
#[derive(Clone, Debug)]
pub struct Info {
    /// The back end in use.
    pub backend: BackendKind,
    /// The adapter's name ("llvmpipe (LLVM 15.0.6, 256 bits)"), or "cpu fallback".
    pub adapter: String,
    /// "discrete", "integrated", "virtual", "cpu" (a software rasteriser such as lavapipe), "other".
    pub device_type: String,
    /// The driver's name and version, or "slight kernel interpreter" for the CPU fallback.
    pub driver: String,
    /// Why the CPU fallback is in use, when it is.
    pub reason: Option<String>,
}

/// The shared GPU: a wgpu device and queue.
pub struct Gpu {
    /// The wgpu device every VM and process shares.
    pub device: wgpu::Device,
    /// The device's command queue.
    pub queue: wgpu::Queue,
    /// The adapter's limits, which the device was created with; buffer sizes and dispatches are
    /// checked against them.
    pub limits: wgpu::Limits,
    lost: Arc<AtomicBool>,
    /// Errors the device reported outside an error scope (kept for the next operation).
    stray: Arc<Mutex<Vec<String>>>,
}

/// The back end chosen for this program: the GPU, or `None` for the CPU fallback.
pub struct Choice {
    /// The GPU, or `None` when kernels run on the CPU fallback.
    pub gpu: Option<Gpu>,
    /// What `gpu/info` reports about this choice.
    pub info: Info,
    /// Set when `SLIGHT_GPU` named a back end that could not be started.
    pub forced_error: Option<String>,
}

static CHOICE: OnceLock<Choice> = OnceLock::new();
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// The back end, chosen on first use.
pub fn choice() -> &'static Choice {
    CHOICE.get_or_init(choose)
}

/// True once the back end has been chosen (without choosing it).
pub fn chosen() -> bool {
    CHOICE.get().is_some()
}

/// Says once, on stderr, that kernels run on the CPU because no adapter was found.
pub fn announce_fallback(info: &Info) {
    if let Some(reason) = &info.reason {
        if !ANNOUNCED.swap(true, Ordering::Relaxed) {
            eprintln!("slight: {reason}; GPU kernels run on the CPU fallback");
        }
    }
}

fn cpu_choice(reason: Option<String>, forced_error: Option<String>) -> Choice {
    Choice {
        gpu: None,
        info: Info {
            backend: BackendKind::Cpu,
            adapter: "cpu fallback".into(),
            device_type: "cpu".into(),
            driver: "slight kernel interpreter".into(),
            reason,
        },
        forced_error,
    }
}

fn choose() -> Choice {
    let wanted = std::env::var("SLIGHT_GPU").unwrap_or_default().to_ascii_lowercase();
    let attempts: &[wgpu::Backends] = match wanted.as_str() {
        "cpu" => return cpu_choice(None, None),
        "vulkan" => &[wgpu::Backends::VULKAN],
        "gl" => &[wgpu::Backends::GL],
        "" | "auto" => &[wgpu::Backends::PRIMARY, wgpu::Backends::GL],
        other => {
            let msg = format!("SLIGHT_GPU={other} is not one of auto, vulkan, gl, cpu");
            return cpu_choice(Some(msg.clone()), Some(msg));
        }
    };
    let mut last_error = String::from("no GPU adapter found");
    for &backends in attempts {
        match open(backends) {
            Ok(choice) => return choice,
            Err(e) => last_error = e,
        }
    }
    let forced = (!matches!(wanted.as_str(), "" | "auto")).then(|| format!("SLIGHT_GPU={wanted}: {last_error}"));
    cpu_choice(Some(last_error), forced)
}

fn open(backends: wgpu::Backends) -> Result<Choice, String> {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = backends;
    let instance = wgpu::Instance::new(desc);
    let options =
        wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let adapter = resolve(instance.request_adapter(&options)).map_err(|e| format!("no GPU adapter found ({e})"))?;
    let info = adapter.get_info();
    let limits = adapter.limits();
    let desc = wgpu::DeviceDescriptor { label: Some("slight"), required_limits: limits.clone(), ..Default::default() };
    let (device, queue) = resolve(adapter.request_device(&desc))
        .map_err(|e| format!("the GPU adapter {} could not open a device ({e})", info.name))?;
    let lost = Arc::new(AtomicBool::new(false));
    let lost_flag = lost.clone();
    device.set_device_lost_callback(move |_, _| lost_flag.store(true, Ordering::Relaxed));
    let stray = Arc::new(Mutex::new(Vec::new()));
    let sink = stray.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        if let Ok(mut v) = sink.lock() {
            v.push(e.to_string());
        }
    }));
    let backend = match info.backend {
        wgpu::Backend::Vulkan => BackendKind::Vulkan,
        wgpu::Backend::Gl => BackendKind::Gl,
        wgpu::Backend::Metal => BackendKind::Metal,
        wgpu::Backend::Dx12 => BackendKind::Dx12,
        other => return Err(format!("unsupported wgpu back end {other:?}")),
    };
    let device_type = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => "discrete",
        wgpu::DeviceType::IntegratedGpu => "integrated",
        wgpu::DeviceType::VirtualGpu => "virtual",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    };
    Ok(Choice {
        info: Info {
            backend,
            adapter: info.name.clone(),
            device_type: device_type.into(),
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
            reason: None,
        },
        gpu: Some(Gpu { device, queue, limits, lost, stray }),
        forced_error: None,
    })
}

/// A GPU error as text (the caller adds which builtin failed).
pub type GpuResult<T> = Result<T, String>;

impl Gpu {
    fn check_alive(&self) -> GpuResult<()> {
        if self.lost.load(Ordering::Relaxed) {
            return Err("the GPU device was lost".into());
        }
        if let Ok(mut stray) = self.stray.lock() {
            if let Some(e) = stray.drain(..).next() {
                return Err(format!("the GPU reported an error: {e}"));
            }
        }
        Ok(())
    }

    /// Runs `f` inside validation and out-of-memory error scopes; the first error it raised.
    pub fn scoped<T>(&self, f: impl FnOnce(&wgpu::Device) -> T) -> GpuResult<T> {
        self.check_alive()?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f(&self.device);
        let v = resolve(validation.pop());
        let o = resolve(oom.pop());
        match (v, o) {
            (Some(e), _) => Err(clean_error(&e.to_string())),
            (None, Some(e)) => Err(format!("out of GPU memory: {}", clean_error(&e.to_string()))),
            (None, None) => Ok(out),
        }
    }

    /// A storage buffer of `bytes` bytes (at least 4), usable by kernels and for copies.
    pub fn buffer(&self, bytes: u64, contents: Option<&[u8]>) -> GpuResult<wgpu::Buffer> {
        let max = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > max {
            return Err(format!("{bytes} bytes is more than this GPU allows in one buffer ({max} bytes)"));
        }
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let buffer = self.scoped(|d| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: bytes.max(4),
                usage,
                mapped_at_creation: false,
            })
        })?;
        if let Some(data) = contents {
            self.write(&buffer, data)?;
        }
        Ok(buffer)
    }

    /// Queues a write of `data` to the start of `buffer`; it takes effect before the next submitted
    /// work.
    pub fn write(&self, buffer: &wgpu::Buffer, data: &[u8]) -> GpuResult<()> {
        self.scoped(|_| self.queue.write_buffer(buffer, 0, data))
    }

    /// Checks and compiles WGSL source into a shader module.
    pub fn shader(&self, source: &str) -> GpuResult<wgpu::ShaderModule> {
        super::validate_wgsl(source)?;
        self.scoped(|d| {
            d.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: None,
                source: wgpu::ShaderSource::Wgsl(source.into()),
            })
        })
    }

    /// A compute pipeline for entry point `entry` of `module`, its layout taken from the shader.
    pub fn pipeline(&self, module: &wgpu::ShaderModule, entry: &str) -> GpuResult<wgpu::ComputePipeline> {
        self.scoped(|d| {
            d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: None,
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        })
    }

    /// Binds `buffers` to bindings 0.. of group 0 and dispatches `groups` workgroups (the
    /// low-level `gpu/dispatch`). Does not wait for the GPU.
    pub fn dispatch(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
    ) -> GpuResult<()> {
        let group = if buffers.is_empty() { None } else { Some(self.bind_group(pipeline, None, buffers)?) };
        self.submit(pipeline, group.as_ref(), groups)
    }

    /// A uniform buffer of `bytes` bytes that `queue.write_buffer` can fill.
    pub fn uniform(&self, bytes: u64) -> GpuResult<wgpu::Buffer> {
        self.scoped(|d| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: bytes,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })
    }

    /// A bind group for group 0 of `pipeline`: `uniform` (if any) at binding 0, then `buffers`.
    pub fn bind_group(
        &self,
        pipeline: &wgpu::ComputePipeline,
        uniform: Option<&wgpu::Buffer>,
        buffers: &[&wgpu::Buffer],
    ) -> GpuResult<wgpu::BindGroup> {
        self.scoped(|d| {
            let mut entries = Vec::with_capacity(buffers.len() + 1);
            if let Some(u) = uniform {
                entries.push(wgpu::BindGroupEntry { binding: 0, resource: u.as_entire_binding() });
            }
            let first = entries.len() as u32;
            for (i, b) in buffers.iter().enumerate() {
                entries.push(wgpu::BindGroupEntry { binding: first + i as u32, resource: b.as_entire_binding() });
            }
            let layout = pipeline.get_bind_group_layout(0);
            d.create_bind_group(&wgpu::BindGroupDescriptor { label: None, layout: &layout, entries: &entries })
        })
    }

    /// Records and submits one dispatch of `groups` workgroups. Does not wait for the GPU.
    pub fn submit(
        &self,
        pipeline: &wgpu::ComputePipeline,
        group: Option<&wgpu::BindGroup>,
        groups: [u32; 3],
    ) -> GpuResult<()> {
        let max = self.limits.max_compute_workgroups_per_dimension;
        if groups.iter().any(|&g| g > max) {
            return Err(format!("a dispatch of {groups:?} workgroups exceeds this GPU's limit of {max} per dimension"));
        }
        self.scoped(|d| {
            let mut encoder = d.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(pipeline);
                if let Some(group) = group {
                    pass.set_bind_group(0, group, &[]);
                }
                pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
            }
            self.queue.submit([encoder.finish()]);
        })
    }

    /// Starts copying `buffer`'s first `bytes` bytes back to the host.
    pub fn start_read(&self, buffer: &wgpu::Buffer, bytes: u64) -> GpuResult<Readback> {
        let bytes = bytes.max(4);
        let staging = self.scoped(|d| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        let state: Arc<Mutex<Option<Result<(), String>>>> = Arc::new(Mutex::new(None));
        let done = state.clone();
        self.scoped(|d| {
            let mut encoder = d.create_command_encoder(&Default::default());
            encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, bytes);
            self.queue.submit([encoder.finish()]);
            staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                if let Ok(mut s) = done.lock() {
                    *s = Some(r.map_err(|e| e.to_string()));
                }
            });
        })?;
        Ok(Readback { staging, state })
    }

    /// Lets finished GPU work run its callbacks, without waiting.
    pub fn poll(&self) {
        let _ = self.device.poll(wgpu::PollType::Poll);
    }

    /// Waits until all submitted GPU work is done.
    pub fn wait_idle(&self) -> GpuResult<()> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: None, timeout: None })
            .map(|_| ())
            .map_err(|e| format!("waiting for the GPU failed: {e}"))
    }
}

/// A copy from a GPU buffer to the host in progress.
pub struct Readback {
    staging: wgpu::Buffer,
    state: Arc<Mutex<Option<Result<(), String>>>>,
}

impl Readback {
    /// The first `words` 32-bit words, once the copy is done (`None` while it is still running).
    pub fn try_take(&self, words: usize) -> Option<GpuResult<Vec<u32>>> {
        let state = self.state.lock().ok()?.clone()?;
        Some(state.and_then(|()| {
            let view = self.staging.slice(..).get_mapped_range().map_err(|e| e.to_string())?;
            let out = bytemuck::pod_collect_to_vec::<u8, u32>(&view[..words * 4]);
            drop(view);
            self.staging.unmap();
            Ok(out)
        }))
    }
}

/// The value of a wgpu future. On native back ends wgpu's futures (adapter and device requests,
/// error scopes) are ready when created; this polls without an executor, so the runtime can be
/// used from inside the host's own executor (where a nested `block_on` would panic).
pub fn resolve<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// Shortens wgpu's error text: drops the "Validation Error / Caused by" framing.
fn clean_error(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && l.trim() != "Validation Error" && l.trim() != "Caused by:")
        .collect();
    lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(": ")
}
