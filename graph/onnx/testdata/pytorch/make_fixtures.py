#!/usr/bin/python3
"""Writes the PyTorch-exported ONNX fixtures of featlearn's import tests.

Run with Debian's PyTorch (apt-get install python3-torch, 1.13.1):

    cd graph/onnx/testdata/pytorch && /usr/bin/python3 make_fixtures.py

For each model it writes NAME.onnx (torch.onnx.export, weights drawn from a
fixed seed, no training), NAME.in.bin (the input, raw little-endian float32)
and NAME.out.bin (PyTorch's output for it, the same way), and lists them in
fixtures.json with the input's dimensions and the opset.
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    """featlearn's LeNet-5 (models/lenet), written the PyTorch way."""

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
        x = x.view(x.size(0), -1)  # Shape, Gather, Unsqueeze, Concat, Reshape
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Mix(nn.Module):
    """A small network of every op featlearn imports: Conv (one of them
    rectangular), BatchNorm of maps and of vectors, pooling of both kinds
    with padding, a residual Add, Concat, the activations, Dropout, Gemm,
    MatMul + Add, GlobalAveragePool and both ways of flattening."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(2, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.res = nn.Conv2d(6, 6, 3, padding=1, bias=False)
        self.left = nn.Conv2d(6, 3, 1)
        self.right = nn.Conv2d(6, 5, (3, 1), padding=(1, 0))
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(8 * 3 * 3, 16)
        self.bn1d = nn.BatchNorm1d(16)
        self.w = nn.Parameter(torch.randn(16, 12) * 0.3)
        self.b = nn.Parameter(torch.randn(12) * 0.1)
        self.head = nn.Linear(12 + 8, 7)

    def forward(self, x):
        x = self.bn(F.relu(self.stem(x)))  # after a ReLU: not folded into the Conv
        x = F.leaky_relu(x + self.res(x), 0.1)  # residual Add, LeakyRelu
        x = F.max_pool2d(x, 3, stride=2, padding=1)  # 12x12 -> 6x6
        a = torch.sigmoid(self.left(x))  # 3x6x6
        b = torch.tanh(self.right(x))  # 5x6x6
        x = torch.cat([a, b], 1)  # 8x6x6
        g = F.adaptive_avg_pool2d(x, 1).view(x.size(0), -1)  # GlobalAveragePool, 8
        x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=True)  # 8x3x3
        x = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)  # 8x3x3
        x = self.drop(torch.flatten(x, 1))  # Flatten
        x = F.relu(self.bn1d(self.fc(x)))  # Gemm, BatchNormalization of (N, C)
        x = torch.matmul(x, self.w) + self.b  # MatMul + Add
        return self.head(torch.cat([x, g], 1))


def export(name, model, x, opset, dynamic=True, fold=True):
    model.eval()
    axes = {'input': {0: 'N'}, 'logits': {0: 'N'}} if dynamic else None
    torch.onnx.export(model, x, name + '.onnx', opset_version=opset, input_names=['input'],
                      output_names=['logits'], dynamic_axes=axes, do_constant_folding=fold)
    with torch.no_grad():
        y = model(x)
    x.numpy().astype('<f4').tofile(name + '.in.bin')
    y.numpy().astype('<f4').tofile(name + '.out.bin')
    return {'name': name, 'dims': list(x.shape), 'out': list(y.shape), 'opset': opset, 'dynamic': dynamic, 'folded': fold}


def main():
    torch.manual_seed(5)
    lenet = LeNet5()
    mix = Mix()
    with torch.no_grad():  # running statistics that are not 0 and 1
        for bn in (mix.bn, mix.bn1d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
    fixtures = [export('lenet', lenet, torch.rand(8, 1, 28, 28), 13)]
    for opset in (11, 13, 15, 17):
        fixtures.append(export('mix_op%d' % opset, mix, torch.randn(5, 2, 12, 12), opset))
    fixtures.append(export('mix_unfolded', mix, torch.randn(3, 2, 12, 12), 13, fold=False))
    fixtures.append(export('mix_static', mix, torch.randn(2, 2, 12, 12), 13, dynamic=False))
    with open('fixtures.json', 'w') as f:
        json.dump({'torch': torch.__version__, 'fixtures': fixtures}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
