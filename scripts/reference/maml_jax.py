"""JAX + XLA reference for issue #19's meta-gradient workload, to time metagrad's jit against.

Not part of the package or of CI: a diagnostic, run by `bench/jit.bench.ts --jax PYTHON`.
The workload is bench/jit.bench.ts's: 25 sinusoid tasks, K = 10 support and 10 query points,
MLP 1-40-40-1 ReLU (weights [in, out]), inner lr 0.01, per-task MSE, meta-loss the mean of the
tasks' query MSE after adaptation. Four variants, each `jax.jit` of a function that `vmap`s the
per-task adaptation over the task axis:

  plain    gradient of the mean support MSE (no adaptation)
  fomaml1  first-order MAML, 1 inner step (inner gradient under stop_gradient)
  maml1    second-order MAML, 1 inner step
  maml5    second-order MAML, 5 inner steps

Timed per variant: the first call (trace + XLA compile + run) and then the median and quartiles
over rounds of process CPU time per call (calls batched to >= 20 ms per round), blocking on the
result, as the metagrad bench times itself.

Setup (no network; the wheels are in pip's configured local index):
    python3 -m venv /tmp/jaxenv && /tmp/jaxenv/bin/pip install jax==0.10.2 jaxlib==0.10.2
Run on one core, single-threaded XLA:
    XLA_FLAGS=--xla_cpu_multi_thread_eigen=false JAX_PLATFORMS=cpu taskset -c 0 \
        /tmp/jaxenv/bin/python scripts/reference/maml_jax.py --json /tmp/jax.json

With --serve, it compiles every variant, prints one JSON line (versions and first-call
times), then answers requests on stdin, one per line, `<variant> <rounds>`, with one JSON
line of figures each: the bench interleaves these with its own rounds, so both sides see
the same machine load (a shared machine's load drifts over a run of minutes).
"""
import argparse
import json
import math
import os
import platform
import time

import jax
import jax.numpy as jnp
import jaxlib
import numpy as np

p = argparse.ArgumentParser()
p.add_argument('--json', help='write the figures here as JSON')
p.add_argument('--rounds', type=int, default=21)
p.add_argument('--tasks', type=int, default=25)
p.add_argument('--K', type=int, default=10)
p.add_argument('--serve', action='store_true', help='answer `<variant> <rounds>` requests on stdin (see above)')
args = p.parse_args()

INNER_LR = 0.01
SIZES = [1, 40, 40, 1]


def init(key):
    params = []
    for i, o in zip(SIZES[:-1], SIZES[1:]):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1 / math.sqrt(i)
        params.append((jax.random.uniform(kw, (i, o), jnp.float32, -bound, bound),
                       jax.random.uniform(kb, (o,), jnp.float32, -bound, bound)))
    return params


def apply(params, x):
    for n, (w, b) in enumerate(params):
        x = x @ w + b
        if n < len(params) - 1:
            x = jax.nn.relu(x)
    return x


def mse(params, x, y):
    return jnp.mean((apply(params, x) - y) ** 2)


def adapt(params, x, y, steps, first_order):
    for _ in range(steps):
        g = jax.grad(mse)(params, x, y)
        if first_order:
            g = jax.lax.stop_gradient(g)
        params = jax.tree_util.tree_map(lambda p_, g_: p_ - INNER_LR * g_, params, g)
    return params


def meta_loss(steps, first_order):
    def task_loss(params, sx, sy, qx, qy):
        return mse(adapt(params, sx, sy, steps, first_order), qx, qy)

    def loss(params, sx, sy, qx, qy):
        return jnp.mean(jax.vmap(task_loss, in_axes=(None, 0, 0, 0, 0))(params, sx, sy, qx, qy))
    return loss


def plain_loss(params, sx, sy, qx, qy):
    return jnp.mean(jax.vmap(mse, in_axes=(None, 0, 0))(params, sx, sy))


VARIANTS = {
    'plain': plain_loss,
    'fomaml1': meta_loss(1, True),
    'maml1': meta_loss(1, False),
    'maml5': meta_loss(5, False),
}


def cpu_ms():
    return time.process_time() * 1000


def timing(call, rounds):
    per_round = 1
    while True:
        start = cpu_ms()
        for _ in range(per_round):
            call()
        if cpu_ms() - start >= 20:
            break
        per_round *= 2
    samples = []
    for _ in range(rounds):
        start = cpu_ms()
        for _ in range(per_round):
            call()
        samples.append((cpu_ms() - start) / per_round)
    samples.sort()
    at = lambda q: samples[round(q * (rounds - 1))]
    return {'median_ms': at(0.5), 'q1_ms': at(0.25), 'q3_ms': at(0.75), 'calls_per_round': per_round}


def serve(out, params, data):
    calls = {}
    for name, loss in VARIANTS.items():
        g = jax.jit(jax.grad(loss))
        t0 = time.perf_counter()
        jax.block_until_ready(g(params, *data))
        out['variants'][name] = {'compile_ms': (time.perf_counter() - t0) * 1000}
        calls[name] = (lambda g=g: jax.block_until_ready(g(params, *data)))
    print(json.dumps(out), flush=True)
    import sys
    for line in sys.stdin:
        name, rounds = line.split()
        print(json.dumps({'variant': name, **timing(calls[name], int(rounds))}), flush=True)


def main():
    rng = np.random.default_rng(1)
    T, K = args.tasks, args.K
    amp = rng.uniform(0.1, 5.0, size=(T, 1, 1))
    phase = rng.uniform(0, math.pi, size=(T, 1, 1))
    sx = rng.uniform(-5, 5, size=(T, K, 1))
    qx = rng.uniform(-5, 5, size=(T, K, 1))
    f32 = lambda a: jnp.asarray(a, dtype=jnp.float32)
    data = (f32(sx), f32(amp * np.sin(sx - phase)), f32(qx), f32(amp * np.sin(qx - phase)))
    params = init(jax.random.PRNGKey(0))

    out = {
        'jax': jax.__version__,
        'jaxlib': jaxlib.__version__,
        'python': platform.python_version(),
        'device': str(jax.devices()[0]),
        'xla_flags': os.environ.get('XLA_FLAGS', ''),
        'tasks': T, 'K': K, 'inner_lr': INNER_LR, 'sizes': SIZES,
        'variants': {},
    }
    if args.serve:
        serve(out, params, data)
        return
    for name, loss in VARIANTS.items():
        g = jax.jit(jax.grad(loss))
        t0 = time.perf_counter()
        jax.block_until_ready(g(params, *data))
        compile_ms = (time.perf_counter() - t0) * 1000
        figures = timing(lambda: jax.block_until_ready(g(params, *data)), args.rounds)
        out['variants'][name] = {'compile_ms': compile_ms, **figures}
        print(f"JAX {name:8s} first call {compile_ms:7.1f} ms, median {figures['median_ms']:.4f} ms "
              f"[{figures['q1_ms']:.4f}, {figures['q3_ms']:.4f}]", flush=True)
    if args.json:
        with open(args.json, 'w') as fh:
            json.dump(out, fh, indent=2)


main()
