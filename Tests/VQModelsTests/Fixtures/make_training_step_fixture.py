"""Writes training_step.safetensors: PyTorch's values for ONE training step of the whole VQ-VAE,
for TrainingStepFixtureTests.swift.

The model is the PyTorch reference's (/work/shared/bench/torch_ref.py: the classes below are copied
from it verbatim, so this script runs without it) in a small configuration:
    1 channel, 12x12 images, hidden 8, residual hidden 4, 2 residual blocks, K 16, D 4, beta 0.25, batch 3
Two variants from the same seed:
  * codebook learned by loss (no prefix), and
  * codebook learned by EMA (decay 0.99, eps 1e-5; every name prefixed with `ema.`).
At initialisation all 27 latent vectors of this small untrained model lie within about 0.04 of each other
and pick the same code, so codes 0..7 are then moved onto latent vectors of the batch plus noise
0.0005*N(0,1) (see build()): the step then uses 8 codes and leaves 8 unused.
The parameters are drawn in float32 by PyTorch's own default initialisation, then the step runs in float64
(so the expected values carry no float32 rounding of their own) and everything is stored as float32:
    <name>              each parameter before the step, under OUR names (VQVAE.forEachParameter)
    grad.<name>         d(total loss)/d(parameter)
    after.<name>        the parameter after one torch.optim.Adam step (lr 3e-4, defaults otherwise)
    input               the batch (3, 1, 12, 12), uniform in [-0.5, 0.5)
    indices             the chosen code of each latent vector, (N, H, W) order, as float
    loss.reconstruction, loss.codebook, loss.commitment (before beta), loss.total   (scalars)
  EMA variant only:
    ema.quantizer.codebook, ema.cluster_sizes, ema.embedding_sums        state before the step
    ema.after.quantizer.codebook, ema.after.cluster_sizes, ema.after.embedding_sums   after it
The seed is the first one from SEED upwards whose latent vectors all have a clear nearest code (the gap
between the two smallest squared distances is at least 1e-5 of the vector's squared norm plus 1e-6,
about 100 times the float32 error) in both variants, and whose float32 PyTorch step picks the same codes
as the float64 one, so no argmin tie decides the result.

    python3 Tests/VQModelsTests/Fixtures/make_training_step_fixture.py   # from the package root; torch 2.x, safetensors
"""
import json, os
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.numpy import save_file

SEED = 20251121
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = dict(inputChannels=1, hiddenChannels=8, residualChannels=4, residualBlocks=2, numEmbeddings=16,
              embeddingDim=4, commitmentCost=0.25, decay=0.99)
BATCH, SIZE, LR = 3, 12, 3e-4


# ---- copied verbatim from torch_ref.py ----
class Residual(nn.Module):
    def __init__(s, h, rh):
        super().__init__(); s.c1 = nn.Conv2d(h, rh, 3, padding=1, bias=False); s.c2 = nn.Conv2d(rh, h, 1, bias=False)
    def forward(s, x): return x + s.c2(F.relu(s.c1(F.relu(x))))

class Stack(nn.Module):
    def __init__(s, h, rh, n):
        super().__init__(); s.layers = nn.ModuleList([Residual(h, rh) for _ in range(n)])
    def forward(s, x):
        for l in s.layers: x = l(x)
        return F.relu(x)

class Encoder(nn.Module):
    def __init__(s, c, h, rh, n):
        super().__init__()
        s.c1 = nn.Conv2d(c, h // 2, 4, 2, 1); s.c2 = nn.Conv2d(h // 2, h, 4, 2, 1); s.c3 = nn.Conv2d(h, h, 3, 1, 1)
        s.res = Stack(h, rh, n)
    def forward(s, x): return s.res(s.c3(F.relu(s.c2(F.relu(s.c1(x))))))

class Decoder(nn.Module):
    def __init__(s, d, c, h, rh, n):
        super().__init__()
        s.c1 = nn.Conv2d(d, h, 3, 1, 1); s.res = Stack(h, rh, n)
        s.t1 = nn.ConvTranspose2d(h, h // 2, 4, 2, 1); s.t2 = nn.ConvTranspose2d(h // 2, c, 4, 2, 1)
    def forward(s, x): return s.t2(F.relu(s.t1(s.res(s.c1(x)))))

class VQ(nn.Module):
    def __init__(s, K, D, beta, ema, decay=0.99, eps=1e-5):
        super().__init__(); s.K, s.D, s.beta, s.ema, s.decay, s.eps = K, D, beta, ema, decay, eps
        s.emb = nn.Embedding(K, D)
        if ema:
            s.emb.weight.data.normal_(); s.emb.weight.requires_grad_(False)
            s.register_buffer("cs", torch.zeros(K)); s.register_buffer("ew", s.emb.weight.data.clone())
        else:
            s.emb.weight.data.uniform_(-1 / K, 1 / K)
    def forward(s, z):
        z = z.permute(0, 2, 3, 1).contiguous(); flat = z.view(-1, s.D)
        d = (flat.pow(2).sum(1, keepdim=True) + s.emb.weight.pow(2).sum(1) - 2 * flat @ s.emb.weight.t())
        idx = d.argmin(1); enc = F.one_hot(idx, s.K).type(flat.dtype)
        q = (enc @ s.emb.weight).view(z.shape)
        if s.ema and s.training:
            with torch.no_grad():
                s.cs.mul_(s.decay).add_(enc.sum(0), alpha=1 - s.decay)
                n = s.cs.sum(); cs = (s.cs + s.eps) / (n + s.K * s.eps) * n
                s.ew.mul_(s.decay).add_(enc.t() @ flat, alpha=1 - s.decay)
                s.emb.weight.data.copy_(s.ew / cs.unsqueeze(1))
            loss = s.beta * F.mse_loss(z, q.detach())
        else:
            loss = F.mse_loss(q, z.detach()) + s.beta * F.mse_loss(z, q.detach())
        q = z + (q - z).detach()
        p = enc.mean(0); perp = torch.exp(-(p * torch.log(p + 1e-10)).sum())
        return loss, q.permute(0, 3, 1, 2).contiguous(), perp, idx

class VQVAE(nn.Module):
    def __init__(s, c=3, h=128, rh=32, n=2, K=512, D=64, beta=0.25, ema=False):
        super().__init__()
        s.enc = Encoder(c, h, rh, n); s.pre = nn.Conv2d(h, D, 1); s.vq = VQ(K, D, beta, ema); s.dec = Decoder(D, c, h, rh, n)
    def forward(s, x):
        loss, q, perp, idx = s.vq(s.pre(s.enc(x)))
        return loss, s.dec(q), perp
# ---- end of the copy ----


def our_name(torch_name):
    """torch_ref's state_dict name -> ours (VQVAE.forEachParameter); None for EMA buffers."""
    parts = torch_name.split(".")
    stack = {"c1": "conv3x3", "c2": "conv1x1"}
    if parts[0] == "enc":
        if parts[1] == "res":  # enc.res.layers.i.c1.weight
            return f"encoder.residual.{parts[3]}.{stack[parts[4]]}.{parts[5]}"
        return f"encoder.conv{parts[1][1]}.{parts[2]}"
    if parts[0] == "pre":
        return f"encoder.pre_quantization.{parts[1]}"
    if parts[0] == "vq":
        return "quantizer.codebook" if parts[1] == "emb" else None
    if parts[0] == "dec":
        if parts[1] == "res":
            return f"decoder.residual.{parts[3]}.{stack[parts[4]]}.{parts[5]}"
        return {"c1": "decoder.conv", "t1": "decoder.conv_transpose1", "t2": "decoder.conv_transpose2"}[parts[1]] + "." + parts[2]
    raise ValueError(torch_name)


def build(seed, ema):
    torch.manual_seed(seed)
    c = CONFIG
    model = VQVAE(c=c["inputChannels"], h=c["hiddenChannels"], rh=c["residualChannels"], n=c["residualBlocks"],
                  K=c["numEmbeddings"], D=c["embeddingDim"], beta=c["commitmentCost"], ema=ema)
    x = torch.rand(BATCH, c["inputChannels"], SIZE, SIZE) - 0.5
    # At initialisation every latent vector is nearest to the same code; so that the step exercises
    # several codes (and unused ones), half the codebook is moved onto latent vectors of this batch
    # plus a little noise, as a k-means-style initialisation would do.
    with torch.no_grad():
        flat = model.pre(model.enc(x)).permute(0, 2, 3, 1).reshape(-1, model.vq.D)
        rows = torch.randperm(flat.shape[0])[: model.vq.K // 2]
        weight = model.vq.emb.weight.data
        weight[: model.vq.K // 2] = flat[rows] + 0.0005 * torch.randn(model.vq.K // 2, model.vq.D)
        if ema:
            model.vq.ew.copy_(weight)
    return model, x


def nearest_gaps(model, x):
    """Per latent vector: (second-smallest − smallest distance) and the margin it must exceed."""
    with torch.no_grad():
        flat = model.pre(model.enc(x)).permute(0, 2, 3, 1).reshape(-1, model.vq.D)
        d = torch.cdist(flat, model.vq.emb.weight) ** 2
        two = d.topk(2, dim=1, largest=False).values
        return (two[:, 1] - two[:, 0]), 1e-5 * flat.pow(2).sum(1) + 1e-6


def step(model, x):
    """One training step as torch_ref.train does; returns the losses and the chosen codes."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    opt.zero_grad(set_to_none=True)
    z = model.pre(model.enc(x))
    vq_loss, q, _, idx = model.vq(z)
    reconstruction = F.mse_loss(model.dec(q), x)
    loss = reconstruction + vq_loss
    # The two parts of vq_loss, recomputed from the same z and codes (no gradient needed).
    with torch.no_grad():
        flat = z.permute(0, 2, 3, 1).reshape(-1, model.vq.D)
        commitment = F.mse_loss(flat, q.permute(0, 2, 3, 1).reshape(-1, model.vq.D))
        codebook = torch.zeros((), dtype=x.dtype) if model.vq.ema else commitment.clone()
        assert torch.allclose(vq_loss, codebook + model.vq.beta * commitment, rtol=1e-12, atol=0)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    opt.step()
    losses = dict(reconstruction=reconstruction, codebook=codebook, commitment=commitment, total=loss)
    return {k: v.detach() for k, v in losses.items()}, grads, idx


def record(seed, ema, prefix, out):
    model, x = build(seed, ema)
    for name, value in model.state_dict().items():
        ours = our_name(name)
        if ours is not None and (not ema or ours != "quantizer.codebook"):
            out[prefix + ours] = value
    if ema:
        out[prefix + "quantizer.codebook"] = model.vq.emb.weight.data
        out[prefix + "cluster_sizes"] = model.vq.cs
        out[prefix + "embedding_sums"] = model.vq.ew
    out = {k: v.detach().clone() for k, v in out.items()}
    # float32 run, only to check that the codes do not depend on the precision
    m32, x32 = build(seed, ema)
    _, _, idx32 = step(m32, x32)
    model.double(); x = x.double()
    losses, grads, idx = step(model, x)
    if not torch.equal(idx, idx32):
        return None
    out[prefix + "input"] = x
    out[prefix + "indices"] = idx.double()
    for key, value in losses.items():
        out[prefix + "loss." + key] = value
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        out[prefix + "grad." + our_name(name)] = grads[name]
        out[prefix + "after." + our_name(name)] = p.data
    if ema:
        out[prefix + "after.quantizer.codebook"] = model.vq.emb.weight.data
        out[prefix + "after.cluster_sizes"] = model.vq.cs
        out[prefix + "after.embedding_sums"] = model.vq.ew
    return out


def main():
    torch.set_num_threads(1)
    for seed in range(SEED, SEED + 1000):
        ok = True
        for ema in (False, True):
            gap, margin = nearest_gaps(*build(seed, ema))
            ok = ok and bool((gap > margin).all())
        if not ok:
            continue
        tensors = {}
        a = record(seed, False, "", {})
        b = record(seed, True, "ema.", {})
        if a is None or b is None:
            continue
        tensors.update(a); tensors.update(b)
        break
    else:
        raise SystemExit("no seed without argmin ties")
    arrays = {k: np.ascontiguousarray(v.detach().to(torch.float32).numpy()) for k, v in tensors.items()}
    metadata = {"script": "Tests/VQModelsTests/Fixtures/make_training_step_fixture.py",
                "torch": torch.__version__, "seed": str(seed), "configuration": json.dumps(CONFIG),
                "batch": str(BATCH), "image_size": str(SIZE), "learning_rate": str(LR),
                "reference": "torch_ref.py VQVAE, torch.optim.Adam; step computed in float64, stored as float32"}
    path = os.path.join(HERE, "training_step.safetensors")
    save_file(arrays, path, metadata=metadata)
    print(f"seed {seed}: {len(arrays)} tensors, {os.path.getsize(path)} bytes -> {path}")
    print("codes:", tensors["indices"].long().tolist(), "ema codes:", tensors["ema.indices"].long().tolist())


if __name__ == "__main__":
    main()
