#!/usr/bin/env python3
"""Peer benchmark: one training step of the MNIST CNN or WRN-40-2 in PyTorch on the CPU.

The same models (ALGORITHMS.md section 5.1 and 5.2) and the same step as bench/peers/tfjsStep.ts:
forward, softmax cross-entropy against soft (float one-hot) targets, backward, SGD with
momentum 0.9 and lr 0.01. Uses os.cpu_count() threads. Prints one JSON object: the median of
--repeats steps (the warm-up step apart) and inference images/s at batch 512.

    python3 bench/peers/torchStep.py --model=mnist-cnn --batch=128 --repeats=3

Needs torch (Debian: `apt-get install python3-torch`, then run with /usr/bin/python3);
nothing else in espgpu does.
"""
import argparse
import json
import math
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:
    sys.exit(f"torchStep.py: torch is not importable by {sys.executable} ({error}). "
             "Install it (Debian: `apt-get install python3-torch` and run with /usr/bin/python3; "
             "elsewhere: `pip install torch`).")


class MnistCnn(nn.Sequential):
    """Section 5.1: Rony et al.'s SmallCNN, 312,202 parameters for 10 classes."""

    def __init__(self, classes=10):
        super().__init__(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2, 2),
            nn.Flatten(),
            nn.Linear(1024, 200), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(200, 200), nn.ReLU(),
            nn.Linear(200, classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self[-1].weight)
        nn.init.zeros_(self[-1].bias)


class WrnBlock(nn.Module):
    """Pre-activation basic block; when widths differ the 1x1 shortcut takes the activated input."""

    def __init__(self, i, o, stride):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(i), nn.BatchNorm2d(o)
        self.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
        self.shortcut = None if i == o else nn.Conv2d(i, o, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        h = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return (x if self.shortcut is None else self.shortcut(a)) + h


class WideResNet(nn.Module):
    """Section 5.2: WRN-40-2, 2,243,546 parameters for 10 classes."""

    def __init__(self, depth=40, widen=2, classes=10):
        super().__init__()
        n = (depth - 4) // 6
        w = [16, 16 * widen, 32 * widen, 64 * widen]
        layers = [nn.Conv2d(3, w[0], 3, 1, 1, bias=False)]
        for g in range(3):
            for b in range(n):
                layers.append(WrnBlock(w[g] if b == 0 else w[g + 1], w[g + 1], 2 if b == 0 and g > 0 else 1))
        self.body = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(w[3])
        self.fc = nn.Linear(w[3], classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0]
                m.weight.data.normal_(0, math.sqrt(2.0 / (k * k * m.out_channels)))
        nn.init.zeros_(self.fc.bias)

    def forward(self, x):
        x = F.relu(self.bn(self.body(x)))
        return self.fc(torch.flatten(F.avg_pool2d(x, 8), 1))


MODELS = {'mnist-cnn': (MnistCnn, (1, 28, 28)), 'wrn-40-2': (WideResNet, (3, 32, 32))}


def random_batch(model_name, batch, classes=10):
    """Images uniform in [0, 1), targets one-hot rows as floats (soft-target form)."""
    generator = torch.Generator().manual_seed(1)
    images = torch.rand((batch,) + MODELS[model_name][1], generator=generator)
    labels = torch.arange(batch) * 7 % classes
    return images, F.one_hot(labels, classes).float()


def timed_ms(run):
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def median(values):
    # The upper median, as the TypeScript benchmarks take it.
    return sorted(values)[len(values) // 2]


def benchmark(model_name, batch, repeats, inference_batch):
    model = MODELS[model_name][0]()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images, targets = random_batch(model_name, batch)

    def step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), targets)  # probabilities as targets: soft cross-entropy
        loss.backward()
        optimizer.step()
        return loss.item()

    warmup_ms = timed_ms(step)
    step_ms = median([timed_ms(step) for _ in range(repeats)])

    inference_images, _ = random_batch(model_name, inference_batch)

    def predict():
        model.eval()
        with torch.no_grad():
            model(inference_images).sum().item()

    predict()
    inference_ms = median([timed_ms(predict) for _ in range(repeats)])
    return {
        'peer': 'pytorch-cpu', 'backend': 'cpu', 'threads': torch.get_num_threads(),
        'torch': torch.__version__, 'model': model_name, 'batch': batch, 'repeats': repeats,
        'inferenceBatch': inference_batch,
        'trainStepMs': round(step_ms, 2), 'trainImagesPerSecond': round(batch * 1000 / step_ms, 2),
        'inferenceImagesPerSecond': round(inference_batch * 1000 / inference_ms, 2),
        'warmupMs': round(warmup_ms, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', choices=sorted(MODELS), default='mnist-cnn')
    parser.add_argument('--batch', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--inference-batch', type=int, default=512)
    parser.add_argument('--count-parameters', action='store_true', help='print the parameter count and exit')
    args = parser.parse_args()
    for name in ('batch', 'repeats', 'inference_batch'):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive integer; got {getattr(args, name)}")
    if args.count_parameters:
        model = MODELS[args.model][0]()
        print(sum(p.numel() for p in model.parameters()))
        return
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    print(json.dumps(benchmark(args.model, args.batch, args.repeats, args.inference_batch)))


if __name__ == '__main__':
    main()
