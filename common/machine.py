"""Which machine a number was measured on: its processor, its cores and torch's CPU kernels.

Labels are a function of the seed alone, but a fit is not the same on every processor
(torch picks its CPU kernels by instruction set, and their float sums differ), and the
emulator's speed differs by a factor of two between the machines this project has run
on. A run resumed across sessions records, per round, the machine that played it.
"""
from __future__ import annotations

import os
import platform
from functools import lru_cache


@lru_cache(maxsize=1)
def describe() -> dict[str, object]:
    """{"cpu": the processor's model name, "cores": logical cores, "torch": torch's version,
    "torch_cpu_capability": the instruction set of torch's CPU kernels (e.g. "AVX512")}."""
    import torch

    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__,
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability()}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
