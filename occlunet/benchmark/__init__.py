"""What the speed and memory benchmarks in tools/benchmark share: interleaved timing and its statistics,
the matmul peak, FLOP counting, the models and inputs they run, tables, goals and the JSON they write.

Not imported by ``import occlunet`` (nothing here is registered); the benchmark scripts import it.
"""

from .cli import add_common_args, check_common_args, quiet_mmengine, setup
from .flops import count_macs
from .inference_variants import InferenceBench, pipeline_options
from .models import (
    build_model,
    candidate_threshold,
    head_scores,
    load_config,
    write_synthetic_run,
    yolox_s_cfg,
)
from .report import GIB, fmt, format_table, goal, goals_table, log, machine_info, write_json
from .timing import (
    MATMUL_SIZES,
    autocast,
    inference,
    matmul_peak_gflops,
    spread,
    summary,
    synchronize,
    time_interleaved,
)

__all__ = [
    'GIB',
    'MATMUL_SIZES',
    'InferenceBench',
    'add_common_args',
    'autocast',
    'build_model',
    'candidate_threshold',
    'check_common_args',
    'count_macs',
    'fmt',
    'format_table',
    'goal',
    'goals_table',
    'head_scores',
    'inference',
    'load_config',
    'log',
    'machine_info',
    'matmul_peak_gflops',
    'pipeline_options',
    'quiet_mmengine',
    'setup',
    'spread',
    'summary',
    'synchronize',
    'time_interleaved',
    'write_json',
    'write_synthetic_run',
    'yolox_s_cfg',
]
