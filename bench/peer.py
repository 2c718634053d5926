#!/usr/bin/python3
"""PyTorch peer for featlearn's bench: LeNet-5, the MLP or the residual
network of models/resnet on real MNIST.

Protocol (../shared/notes/peers.md): batch 64, float32, 2 threads, SGD
momentum 0.9 lr 0.01, one full epoch (937 batches, last partial batch
dropped), pixels / 255. Prints one JSON line with training images/s,
inference images/s at batch 1000 (after one untimed batch), median batch-1
latency, peak RSS and test accuracy. Reads the MNIST IDX files (gz or raw) from the directory given.
"""
import gzip, json, os, resource, statistics, struct, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    sys.exit("peer: no %s in %s" % (stem, data_dir))


def load(data_dir, prefix):
    x = read_idx(find(data_dir, prefix + "-images-idx3-ubyte"))
    y = read_idx(find(data_dir, prefix + "-labels-idx1-ubyte"))
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(y.astype(np.int64))


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 100)
        self.fc3 = nn.Linear(100, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class BasicBlock(nn.Module):
    """ResNet's basic block with an identity shortcut, as graph.BasicBlock."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + x)


class ResNet(nn.Module):
    """models/resnet: 5x5 stem with BatchNorm, two basic blocks, global
    average pooling, dropout 0.2, a linear classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.block1 = BasicBlock(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(32)
        self.block2 = BasicBlock(32)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = self.block1(x)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = self.block2(x)
        return self.fc(self.drop(x.mean((2, 3))))


MODELS = {"lenet": LeNet, "mlp": MLP, "resnet": ResNet}


def kernels():
    """The kernels this process runs: ATen's CPU capability (from
    torch.__config__.show(), as torch 1.13 reports it) and OpenBLAS's core."""
    cap = "?"
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage:" in line:
            cap = line.split(":", 1)[1].strip()
    core = "?"
    try:
        import ctypes
        f = ctypes.CDLL("libblas.so.3").openblas_get_corename
        f.restype = ctypes.c_char_p
        core = f().decode()
    except (OSError, AttributeError):
        pass
    return cap, core


def main():
    model_name, data_dir = sys.argv[1], sys.argv[2]
    torch.set_num_threads(2)
    torch.manual_seed(1)
    xtr, ytr = load(data_dir, "train")
    xte, yte = load(data_dir, "t10k")
    model = MODELS[model_name]()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batch = 64
    perm = torch.randperm(len(xtr))
    steps = len(xtr) // batch
    model.train()
    start = time.perf_counter()
    for i in range(steps):
        idx = perm[i * batch:(i + 1) * batch]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    train_s = time.perf_counter() - start

    model.eval()
    with torch.no_grad():
        # One untimed batch first, as the featlearn side does: first calls
        # allocate and pick kernels.
        model(xte[:1000])
        correct = 0
        start = time.perf_counter()
        for lo in range(0, len(xte), 1000):
            out = model(xte[lo:lo + 1000])
            correct += (out.argmax(1) == yte[lo:lo + 1000]).sum().item()
        infer_s = time.perf_counter() - start
        lat = []
        for i in range(1000):
            x1 = xte[i:i + 1]
            t0 = time.perf_counter()
            model(x1)
            lat.append(time.perf_counter() - t0)
    print(json.dumps({
        "peer": "pytorch %s" % torch.__version__,
        "model": model_name,
        "train_img_s": steps * batch / train_s,
        "epoch_s": train_s,
        "infer_img_s": len(xte) / infer_s,
        "latency_us": statistics.median(lat[100:]) * 1e6,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "test_acc": correct / len(xte),
        "kernels": "aten %s, openblas %s" % kernels(),
    }))


if __name__ == "__main__":
    main()
