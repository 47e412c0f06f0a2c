#!/usr/bin/python3
"""PyTorch side of the training-step benchmark (bareformer's is bench/train_step.cpp, bench_train_step).

Runs the same models as bareformer (tests/oracle/reference.py's GPT, every preset of "Simplifying
Transformer Blocks"), in float32 with the presets' initialisation (docs/blocks.md, "The presets"), and
times full training steps. On the CPU it needs Debian's torch: run with /usr/bin/python3. With --device
cuda (PyTorch 2.x, e.g. under scripts/gpu_check.sh) the model and batches live on the GPU, every timed step
ends with torch.cuda.synchronize(), and --tf32 turns on TF32 tensor-core matmuls
(torch.backends.cuda.matmul.allow_tf32; off by default, as bareformer's).

One step = zero_grad(set_to_none=True) + forward + cross-entropy loss + backward
           + clip_grad_norm_(1.0) + AdamW step (lr 1e-3, betas (0.9, 0.999), eps 1e-8,
           weight decay 0.1 on 2-D weights incl. embeddings and the reparam delta; none on gains,
           norm weights/biases, biases, attention alpha/beta/gamma, reparam alpha/beta;
           foreach=False on the CPU: torch 1.13's foreach AdamW on CPU was slower here, e.g. clip-free
           optimizer step on small 31.6 vs 23.2 ms, medium 119 vs 88 ms, tiny a tie; --foreach to switch;
           on cuda PyTorch's own default, the multi-tensor foreach kernels, its eager best).
Data: byte vocab 256, random token batches from torch.randint with a fixed seed, generated before
timing. pos_emb has max_seq_len = T rows.

Columns (bench_train_step prints the same header):
  engine        pytorch (CPU), pytorch-cuda, pytorch-cuda-tf32
  config        tiny | small | medium (layers/d/heads/T/batch: 2/64/2/64/8, 6/256/4/128/16, 8/512/8/256/8)
                | paper (18/768/12/128/32, the paper's headline model; asked for by name, "all" is the
                first three)
  preset        pre_ln | sas_p
  params        number of parameters (the tied tok_emb once)
  median_ms, min_ms, max_ms
                over --steps timed steps, after --warmup untimed ones (time.perf_counter per step)
  tokens_per_s  tokens / median seconds, tokens = batch*T per step
  model_gflops  model FLOPs per step / median seconds / 1e9, where
                model FLOPs per step = 6*N_mm*tokens + 12*L*T*d*tokens,
                N_mm = parameters used in matrix products = every 2-D weight except pos_emb, counting
                the tied tok_emb once (as the head); the reparam delta counts (it is a [d, d] matrix)
  sgemm_gflops  rate of one float32 torch.mm [batch*T, d] x [d, 4d] (2*batch*T*d*4d FLOPs), in the same
                process with the same threads: median of 20 after 3 warm-up calls
  frac_sgemm    model_gflops / sgemm_gflops
  peak_mib      CPU: peak resident memory of the process: getrusage(RUSAGE_SELF).ru_maxrss / 1024
                (includes the torch library itself, roughly 200-300 MiB; each config runs in its own
                process so the peak is per config); cuda: torch.cuda.max_memory_allocated() / 2^20
  gemm          what computed torch.mm: openblas/VERSION/core=NAME, the kernel family the OpenBLAS that
                torch loaded chose (openblas_get_corename through ctypes: OPENBLAS_CORETYPE overrides it,
                and without it OpenBLAS 0.3.21 falls back to its SSE3 "Prescott" kernels on CPUs it does
                not know); cuda on the GPU
  estimate_mib  (params * 4 bytes * 4 (param, grad, Adam m, Adam v) + activation bytes) / 2^20, where
                activation bytes = what autograd keeps for backward during one forward + loss: every
                tensor packed by torch.autograd.graph.saved_tensors_hooks, deduplicated by storage
                (several saved tensors share one storage: views, outputs saved by two ops), counting
                each storage's full size once, and leaving out storages that are parameters (those
                are already in the first term).

CLI: torch_step.py [--size tiny|small|medium|paper|all] [--preset pre_ln|sas_p|all] [--steps N] [--warmup W]
                   [--threads 2] [--foreach] [--env-as-is] [--device cpu|cuda] [--tf32] [--probe-gemm]
--probe-gemm prints one line instead of timing steps, "gemm_probe GEMM GFLOPS": the median rate of
torch.mm at the size's representative shape (see sgemm_gflops); bench/compare.sh runs it under each
OpenBLAS setting it considers and times the steps under the fastest.
Environment: unless --env-as-is, the script re-executes itself once with BEST_ENV below filled in for any
variable not already set (OMP_WAIT_POLICY=PASSIVE, the glibc MALLOC_* tuning, OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS = --threads), so a run by hand gets the same settings as bench/compare.sh.
Each config also writes one '#' line to stderr: final loss, activation MiB, N_mm, CPU time per step of
all threads (time.process_time; wall >> cpu/threads means the process was waiting, e.g. on a loaded
machine) and minor page faults per timed step.
With one size and one preset the step runs in this process; otherwise this script re-invokes itself once
per (size, preset), so each row gets a fresh process, and prints the header and the collected rows.
"""

import argparse
import os
import subprocess
import sys

SIZES = {  # name: (layers, d, heads, T, batch)
    "tiny": (2, 64, 2, 64, 8),
    "small": (6, 256, 4, 128, 16),
    "medium": (8, 512, 8, 256, 8),
    "paper": (18, 768, 12, 128, 32),
}
CPU_SIZES = ("tiny", "small", "medium")  # what --size all runs
PRESETS = ("pre_ln", "sas_p")
VOCAB = 256
MLP_RATIO = 4
INIT_STD = 0.02
HEADER = ("engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops "
          "sgemm_gflops frac_sgemm peak_mib estimate_mib gemm")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="all", choices=list(SIZES) + ["all"])
    ap.add_argument("--preset", default="all", choices=list(PRESETS) + ["all"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--foreach", action="store_true",
                    help="AdamW with foreach=True (default False: the per-tensor loop was faster here)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tf32", action="store_true", help="TF32 tensor-core matmuls (cuda only)")
    ap.add_argument("--env-as-is", action="store_true",
                    help="do not fill in the default OMP_*/MALLOC_*/OPENBLAS_NUM_THREADS settings (BEST_ENV)")
    ap.add_argument("--probe-gemm", action="store_true",
                    help="print 'gemm_probe GEMM GFLOPS' (torch.mm at the size's shape) and exit")
    ap.add_argument("--no-header", action="store_true", help=argparse.SUPPRESS)  # child rows
    return ap.parse_args()


# --------------------------------------------------------------------------------------------------
# parent: one fresh process per (size, preset)


def run_all(args):
    sizes = list(CPU_SIZES) if args.size == "all" else [args.size]
    presets = list(PRESETS) if args.preset == "all" else [args.preset]
    print(HEADER, flush=True)
    status = 0
    for size in sizes:
        for preset in presets:
            cmd = [sys.executable, os.path.abspath(__file__), "--size", size, "--preset", preset,
                   "--steps", str(args.steps), "--warmup", str(args.warmup),
                   "--threads", str(args.threads), "--device", args.device, "--no-header"]
            if args.tf32:
                cmd.append("--tf32")
            if args.foreach:
                cmd.append("--foreach")
            if args.env_as_is:
                cmd.append("--env-as-is")
            r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            rows = [ln for ln in r.stdout.splitlines() if ln.startswith("pytorch")]
            if r.returncode != 0 or not rows:
                print(f"# {size} {preset}: child failed (exit {r.returncode})", file=sys.stderr)
                status = 1
                continue
            print(rows[-1], flush=True)
    return status


# --------------------------------------------------------------------------------------------------
# child: one configuration in this process


def init_preset(model, preset, torch, Reparam):
    """The presets' initialisation (docs/blocks.md, "The presets"), in place: every weight N(0, 0.02^2),
    biases 0, norm weights 1; gains at their preset values; attention alpha = gamma = 1 and beta = 1
    (shaped) or 0 (skipinit, Eq. 4); shaped attention (sas, sas_p, sas_p_nonorm) starts with W_Q = 0,
    b_Q = 0, so each attention sub-block is the identity; the block-0 value reparam starts at
    alpha = beta = 1, delta = 0; vskipinit's and vskipinit_eq4's trained W^V, W^P are orthogonal."""
    nn = torch.nn
    with torch.no_grad():
        model.tok_emb.weight.normal_(0.0, INIT_STD)
        model.pos_emb.weight.normal_(0.0, INIT_STD)
        model.norm_f.weight.fill_(1.0)
        model.norm_f.bias.zero_()
        for block in model.blocks:
            spec = block.spec
            for norm in (block.norm1, block.norm2):
                if norm is not None:
                    norm.weight.fill_(1.0)
                    if getattr(norm, "bias", None) is not None:
                        norm.bias.zero_()
            a = block.attn
            for lin in (a.q, a.k):
                lin.weight.normal_(0.0, INIT_STD)
                lin.bias.zero_()
            for m in (a.v, a.proj):
                if isinstance(m, nn.Linear):
                    if preset in ("vskipinit", "vskipinit_eq4"):
                        nn.init.orthogonal_(m.weight)
                    else:
                        m.weight.normal_(0.0, INIT_STD)
                elif isinstance(m, Reparam):
                    m.alpha.fill_(1.0)
                    m.beta.fill_(1.0)
                    m.delta.zero_()
            if a.kind in ("shaped", "skipinit"):
                a.alpha.fill_(1.0)
                a.beta.fill_(1.0 if a.kind == "shaped" else 0.0)
            if a.kind == "shaped":
                a.gamma.fill_(1.0)
                a.q.weight.zero_()
                a.q.bias.zero_()
            block.mlp.fc.weight.normal_(0.0, INIT_STD)
            block.mlp.proj.weight.normal_(0.0, INIT_STD)
            for name, p in block.gain.items():
                p.fill_(float(spec["gains"][name][0]))


def param_groups(model):
    """AdamW groups: decay on 2-D weights (matrices, embeddings, the reparam delta), none on the rest
    (gains, norm weights and biases, Q/K biases, attention alpha/beta/gamma, reparam alpha/beta)."""
    decay, no_decay = [], []
    for _, p in model.named_parameters():
        (decay if p.dim() == 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]


def blas_description():
    """openblas/VERSION/core=NAME for the OpenBLAS this process loaded (through torch), via ctypes."""
    import ctypes

    paths = sorted({ln.split()[-1] for ln in open("/proc/self/maps") if "libopenblas" in ln.split()[-1]})
    if not paths:
        return "not-openblas"
    lib = ctypes.CDLL(paths[0])
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    config = lib.openblas_get_config().decode().split()
    version = config[1] if len(config) > 1 and config[0] == "OpenBLAS" else "unknown"
    return f"openblas/{version}/core={lib.openblas_get_corename().decode()}"


def mm_gflops(torch, tokens, d, device, sync):
    """Median rate of one float32 torch.mm [tokens, d] x [d, 4d], 20 calls after 3 warm-up ones."""
    import statistics
    import time

    a = torch.randn(tokens, d, device=device)
    w = torch.randn(d, MLP_RATIO * d, device=device)
    out = torch.empty(tokens, MLP_RATIO * d, device=device)
    for _ in range(3):
        torch.mm(a, w, out=out)
    gt = []
    for _ in range(20):
        sync()
        t0 = time.perf_counter()
        torch.mm(a, w, out=out)
        sync()
        gt.append(time.perf_counter() - t0)
    return 2.0 * tokens * d * MLP_RATIO * d / statistics.median(gt) / 1e9


def run_one(args):
    import resource
    import statistics
    import time

    import torch

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.set_flush_denormal(True)  # bareformer sets FTZ/DAZ too
    cuda = args.device == "cuda"
    if args.tf32 and not cuda:
        print("# --tf32 needs --device cuda", file=sys.stderr)
        return 2
    if cuda and not torch.cuda.is_available():
        print("# --device cuda: this torch sees no CUDA device", file=sys.stderr)
        return 2
    if cuda:
        # reference.py makes its masks and identities with plain torch.ones/eye: put them on the GPU.
        torch.set_default_device("cuda")
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32

    def sync():
        if cuda:
            torch.cuda.synchronize()

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
    import reference as ref

    L, d, H, T, B = SIZES[args.size]
    preset = args.preset
    gemm = "cuda" if cuda else blas_description()
    if args.probe_gemm:
        print(f"gemm_probe {gemm} {mm_gflops(torch, B * T, d, args.device, sync):.1f}", flush=True)
        return 0
    torch.manual_seed(1234)
    model = ref.GPT(preset, n_layer=L, d_model=d, n_head=H, vocab_size=VOCAB, max_seq_len=T,
                    mlp_ratio=MLP_RATIO).float()
    init_preset(model, preset, torch, ref.Reparam)
    model.train()

    params = sum(p.numel() for p in model.parameters())
    n_mm = sum(p.numel() for n, p in model.named_parameters() if p.dim() == 2 and n != "pos_emb.weight")
    tokens = B * T
    model_flops = 6 * n_mm * tokens + 12 * L * T * d * tokens

    foreach = True if args.foreach else (None if cuda else False)
    opt = torch.optim.AdamW(param_groups(model), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=foreach)

    gen = torch.Generator(device="cpu").manual_seed(4321)
    n_batches = 8
    batches = [torch.randint(0, VOCAB, (B, T + 1), generator=gen, device="cpu").to(args.device)
               for _ in range(n_batches)]
    batches = [(b[:, :-1].contiguous(), b[:, 1:].contiguous()) for b in batches]

    # Activation bytes: storages autograd saves for backward during one forward + loss.
    param_ptrs = {p.data_ptr() for p in model.parameters()}
    saved = {}

    def pack(t):
        s = t.untyped_storage() if hasattr(t, "untyped_storage") else t.storage()
        ptr = s.data_ptr()
        if ptr not in param_ptrs and ptr != 0:
            saved[ptr] = max(saved.get(ptr, 0), s.nbytes())
        return t

    x, y = batches[0]
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        _, loss = model(x, y)
    del loss
    act_bytes = sum(saved.values())
    estimate_mib = (params * 4 * 4 + act_bytes) / 2**20

    def step(i):
        x, y = batches[i % n_batches]
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for i in range(args.warmup):
        step(i)
    sync()
    times, cpu = [], []
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(args.steps):
        c0, t0 = time.process_time(), time.perf_counter()
        loss = step(args.warmup + i)
        sync()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0) / args.steps
    final_loss = loss.item()
    if final_loss != final_loss:
        print(f"# {args.size} {preset}: loss is NaN", file=sys.stderr)
        return 1

    # GEMM ceiling at the representative shape, same process, same threads.
    sgemm_gflops = mm_gflops(torch, tokens, d, args.device, sync)

    med = statistics.median(times)
    model_gflops = model_flops / med / 1e9
    if cuda:
        peak_mib = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = "pytorch" if not cuda else ("pytorch-cuda-tf32" if args.tf32 else "pytorch-cuda")
    if not args.no_header:
        print(HEADER)
    print(f"{engine} {args.size} {preset} {params} {med * 1e3:.2f} {min(times) * 1e3:.2f} "
          f"{max(times) * 1e3:.2f} {tokens / med:.0f} {model_gflops:.2f} {sgemm_gflops:.2f} "
          f"{model_gflops / sgemm_gflops:.3f} {peak_mib:.1f} {estimate_mib:.1f} {gemm}", flush=True)
    # CPU time of all threads per step: a load-robust check (wall >> cpu / threads means waiting).
    print(f"# {args.size} {preset}: loss after {args.warmup + args.steps} steps {final_loss:.4f}; "
          f"activations {act_bytes / 2**20:.1f} MiB; N_mm {n_mm}; cpu per step median "
          f"{statistics.median(cpu) * 1e3:.2f} ms min {min(cpu) * 1e3:.2f} ms (all threads); {faults:.0f} page faults per step", file=sys.stderr)
    return 0


# PyTorch's best settings on this machine (see bench/compare.sh, which sets the same): gomp threads that
# sleep instead of spinning against OpenBLAS's pthreads (spinning made the tiny step 50x slower on a
# loaded 2-core machine), and glibc malloc that keeps large blocks on the heap instead of mmap/munmap
# per tensor (a few % on tiny). Values already in the environment win.
BEST_ENV = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "MALLOC_MMAP_THRESHOLD_": "4294967296",
    "MALLOC_TRIM_THRESHOLD_": "4294967296",
    "MALLOC_TOP_PAD_": "536870912",
}


def main():
    args = parse_args()
    # glibc and libgomp read their variables at process start: re-exec once with the defaults filled in.
    defaults = dict(BEST_ENV, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    missing = {k: v for k, v in defaults.items() if k not in os.environ}
    if missing and not args.env_as_is and os.environ.get("TORCH_STEP_ENV_SET") != "1":
        env = dict(os.environ, TORCH_STEP_ENV_SET="1", **missing)
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
    if args.probe_gemm and args.size == "all":
        print("# --probe-gemm needs one --size", file=sys.stderr)
        return 2
    if args.probe_gemm:
        args.preset = "pre_ln"  # the probe times no model
    if args.size == "all" or args.preset == "all":
        return run_all(args)
    return run_one(args)


if __name__ == "__main__":
    sys.exit(main())
