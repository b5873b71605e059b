"""PyTorch reference for the sinusoid benchmark, to compare metagrad against on the same machine.

Not part of the package or of CI: a diagnostic. It runs the protocol of scripts/sinusoid.ts
(MLP 1-40-40-1 ReLU with nn.Linear's default initialisation, inner lr 0.01, meta-batch 25,
Adam 0.001, one inner step, query MSE after 0..10 SGD steps on 600 held-out tasks with 100
query points) with the tasks as a batch dimension (bmm), second-order MAML or Meta-SGD.

To score exactly the held-out tasks metagrad scores (the 600 tasks of scripts/sinusoid.ts):

    node --import tsx scripts/sinusoid.ts --K 5 --write-eval-tasks /tmp/eval-K5.json
    /usr/bin/python3 scripts/reference/sinusoid_torch.py --algo maml --K 5 --iters 70000 --seed 0 --eval-file /tmp/eval-K5.json

Needs Debian's python3-torch (1.13): apt-get install -y python3-torch. Prints one JSON line.
"""
import argparse
import json
import math
import time

import numpy as np
import torch

p = argparse.ArgumentParser()
p.add_argument('--algo', default='maml', choices=['maml', 'metasgd', 'fomaml'])
p.add_argument('--K', type=int, default=10)
p.add_argument('--query-k', type=int, default=None)
p.add_argument('--iters', type=int, default=70000)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--inner-lr', type=float, default=0.01)
p.add_argument('--meta-batch', type=int, default=25)
p.add_argument('--outer-lr', type=float, default=0.001)
p.add_argument('--eval-tasks', type=int, default=600)
p.add_argument('--eval-points', type=int, default=100)
p.add_argument('--eval-steps', type=int, default=10)
p.add_argument('--log-every', type=int, default=5000)
p.add_argument('--eval-file', help='held-out tasks as JSON {sx, sy, qx, qy} (flat lists), e.g. written by metagrad; default: drawn here')
p.add_argument('--save-params', help='write the trained parameters as JSON (weights [in, out], biases [out])')
args = p.parse_args()

torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
queryK = args.query_k or args.K
sizes = [1, 40, 40, 1]

# nn.Linear's default: weight and bias both U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
params = []
for i, o in zip(sizes[:-1], sizes[1:]):
    layer = torch.nn.Linear(i, o)
    params += [layer.weight.detach().t().contiguous().requires_grad_(), layer.bias.detach().clone().requires_grad_()]
lrs = [torch.full_like(q, args.inner_lr).requires_grad_() for q in params] if args.algo == 'metasgd' else None
opt = torch.optim.Adam(params + (lrs or []), lr=args.outer_lr)


def tasks(r, T, K, Q):
    a = r.uniform(0.1, 5.0, size=(T, 1, 1))
    ph = r.uniform(0, math.pi, size=(T, 1, 1))
    sx = r.uniform(-5, 5, size=(T, K, 1))
    qx = r.uniform(-5, 5, size=(T, Q, 1))
    f = lambda x: torch.tensor(x, dtype=torch.float32)
    return f(sx), f(a * np.sin(sx - ph)), f(qx), f(a * np.sin(qx - ph))


def forward(ps, x):
    # ps: weights [T, I, O] / biases [T, 1, O] (or unbatched, broadcast by matmul)
    h = x
    for l in range(3):
        w, b = ps[2 * l], ps[2 * l + 1]
        h = torch.matmul(h, w) + b.unsqueeze(-2)
        if l < 2:
            h = torch.relu(h)
    return h


def per_task_mse(pred, y):
    return ((pred - y) ** 2).mean(dim=(1, 2))


def adapt(ps, lr_tree, sx, sy, create_graph, batched=False):
    T = sx.shape[0]
    fast = ps if batched else [q.unsqueeze(0).expand(T, *q.shape) for q in ps]
    loss = per_task_mse(forward(fast, sx), sy).sum()
    g = torch.autograd.grad(loss, fast, create_graph=create_graph)
    if lr_tree is None:
        return [f - args.inner_lr * gi for f, gi in zip(fast, g)]
    return [f - lr * gi for f, lr, gi in zip(fast, lr_tree, g)]


start = time.time()
window = 0.0
for it in range(1, args.iters + 1):
    sx, sy, qx, qy = tasks(rng, args.meta_batch, args.K, queryK)
    fast = adapt(params, lrs, sx, sy, create_graph=args.algo != 'fomaml')
    loss = per_task_mse(forward(fast, qx), qy).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    window += loss.item()
    if it % args.log_every == 0:
        print(f'{args.algo} {it} meta-loss {window / args.log_every:.4f} {time.time() - start:.1f} s', flush=True)
        window = 0.0
train_seconds = time.time() - start

if args.save_params:
    with open(args.save_params, 'w') as f:
        json.dump({'params': [q.detach().tolist() for q in params], 'lrs': [l.detach().tolist() for l in lrs] if lrs else None}, f)

if args.eval_file:
    with open(args.eval_file) as f:
        d = json.load(f)
    shape = lambda key: torch.tensor(d[key], dtype=torch.float32).reshape(args.eval_tasks, -1, 1)
    ex = (shape('sx'), shape('sy'), shape('qx'), shape('qy'))
else:
    # Held-out tasks from their own stream, shared by every run.
    ex = tasks(np.random.default_rng(1_000_003), args.eval_tasks, args.K, args.eval_points)
curve = [0.0] * (args.eval_steps + 1)
for begin in range(0, args.eval_tasks, 100):
    sx, sy, qx, qy = (t[begin:begin + 100] for t in ex)
    T = sx.shape[0]
    fast = [q.detach().unsqueeze(0).expand(T, *q.shape).clone().requires_grad_() for q in params]
    lr_tree = [l.detach() for l in lrs] if lrs else None
    for s in range(args.eval_steps + 1):
        with torch.no_grad():
            curve[s] += per_task_mse(forward(fast, qx), qy).sum().item() / args.eval_tasks
        if s == args.eval_steps:
            break
        fast = [f.detach().requires_grad_() for f in adapt(fast, lr_tree, sx, sy, create_graph=False, batched=True)]
print(json.dumps({'algo': args.algo, 'K': args.K, 'seed': args.seed, 'iters': args.iters, 'trainSeconds': round(train_seconds, 1),
                  'msPerIteration': round(1000 * train_seconds / max(args.iters, 1), 3),
                  'mse': {'steps0': curve[0], 'steps1': curve[1], 'steps10': curve[-1]}, 'curve': curve, 'torch': torch.__version__}))
